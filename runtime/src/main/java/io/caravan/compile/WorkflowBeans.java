package io.caravan.compile;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.BeanRepository;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.DefaultRegistry;

/**
 * The beans compiled workflows refer to by name (their processors and predicates), in a bean
 * repository of their own, indexed by class. Camel looks beans up by type while it builds every
 * route (RedeliveryErrorHandler's constructor, for one), and its default registry answers that
 * by scanning every bean: with the workflows' beans in it, deploying 1,000 workflows spent
 * most of its 95 s there (issue 5). Here a lookup by type looks at the few bean classes only.
 */
final class WorkflowBeans implements BeanRepository {

    private final Map<String, Object> byName = new ConcurrentHashMap<>();
    private final Map<Class<?>, Map<String, Object>> byClass = new ConcurrentHashMap<>();

    /** The context's repository, added to its registry on first use. */
    static synchronized WorkflowBeans of(CamelContext context) {
        Registry registry = context.getRegistry();
        if (!(registry instanceof DefaultRegistry defaultRegistry)) {
            return null;
        }
        for (BeanRepository repository : defaultRegistry.getRepositories()) {
            if (repository instanceof WorkflowBeans beans) {
                return beans;
            }
        }
        WorkflowBeans beans = new WorkflowBeans();
        defaultRegistry.addBeanRepository(beans);
        return beans;
    }

    void bind(String name, Object bean) {
        unbind(name);
        byName.put(name, bean);
        byClass.computeIfAbsent(bean.getClass(), c -> new ConcurrentHashMap<>()).put(name, bean);
    }

    void unbind(String name) {
        Object old = byName.remove(name);
        if (old != null) {
            Map<String, Object> ofClass = byClass.get(old.getClass());
            if (ofClass != null) {
                ofClass.remove(name);
            }
        }
    }

    @Override
    public Object lookupByName(String name) {
        return byName.get(name);
    }

    @Override
    public <T> T lookupByNameAndType(String name, Class<T> type) {
        Object bean = byName.get(name);
        return type.isInstance(bean) ? type.cast(bean) : null;
    }

    @Override
    public <T> Map<String, T> findByTypeWithName(Class<T> type) {
        Map<String, T> found = new LinkedHashMap<>();
        byClass.forEach((cls, beans) -> {
            if (type.isAssignableFrom(cls)) {
                beans.forEach((name, bean) -> found.put(name, type.cast(bean)));
            }
        });
        return found;
    }

    @Override
    public <T> Set<T> findByType(Class<T> type) {
        return new LinkedHashSet<>(findByTypeWithName(type).values());
    }
}
