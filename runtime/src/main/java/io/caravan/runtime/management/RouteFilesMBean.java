package io.caravan.runtime.management;

/**
 * The hand-written route files ({@code *.camel.yaml}) as JMX sees them:
 * {@code io.caravan:context=<camel>,type=RouteFiles}. The routes that did start are Camel's own
 * route MBeans; this one names those that did not, and why.
 */
public interface RouteFilesMBean {

    /** One line per route (or unreadable file) that did not start: "route 'x' (FILE:LINE) did not start: why". */
    String[] getFailedRoutes();

    int getFailedRouteCount();
}
