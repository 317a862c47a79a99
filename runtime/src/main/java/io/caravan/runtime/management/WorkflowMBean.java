package io.caravan.runtime.management;

/**
 * What an operator sees and does with one workflow over JMX, as
 * {@code io.caravan:context=<camel-context>,type=Workflow,name="<workflow-id>"}: what Camel's
 * route MBean of the same id lacks (the workflow's file, version and last error) plus the
 * route controls. Only JDK types, so jconsole and Jolokia need no Caravan classes.
 */
public interface WorkflowMBean {

    String getId();

    String getName();

    String getSourceFile();

    /** Content hash of the source file the running version came from. */
    String getVersion();

    /** Camel's route status: Started, Stopped, Suspended, ... */
    String getState();

    /** Camel's route MBean for the same workflow, for its detailed statistics. */
    String getRouteMBean();

    String getLastErrorCode();

    String getLastErrorNode();

    String getLastErrorMessage();

    /** ISO-8601 instant of the last failed run, or null when none failed since start. */
    String getLastErrorTime();

    /** Runs started since the process started (messages consumed, webhook calls, schedule firings). */
    long getRunsStarted();

    /** Runs that failed since the process started, whether or not Camel counts the exchange as failed. */
    long getRunsFailed();

    /** Camel's exchange counters of the route; they restart when the workflow is reloaded. */
    long getExchangesTotal();

    long getExchangesCompleted();

    long getExchangesFailed();

    long getExchangesInflight();

    /**
     * For a workflow with a {@code schedule}: "this instance (<id>)" while this instance fires it,
     * "another instance" while it waits for the lead; null for other workflows and while stopped.
     */
    String getScheduleLeader();

    void start() throws Exception;

    void stop() throws Exception;

    void suspend() throws Exception;

    void resume() throws Exception;

    /**
     * Reads the workflow's file again and swaps the new version in. An invalid file leaves the
     * running version and fails with the validation report as the message.
     */
    String reload();
}
