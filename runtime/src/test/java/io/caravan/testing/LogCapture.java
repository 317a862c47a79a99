package io.caravan.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Every log event of this JVM while open, formatted as the console shows it plus the full stack
 * trace (every cause's message), added to the root logger so events of all loggers reach it.
 * log4j-core's test appenders are not on the class path, hence this small one.
 */
public final class LogCapture extends AbstractAppender implements AutoCloseable {

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<LogEvent> events = new CopyOnWriteArrayList<>();

    private LogCapture(String name) {
        super(name, null, PatternLayout.newBuilder().withPattern("%d{HH:mm:ss.SSS} %-5level %c - %msg%n%throwable").build(),
                true, Property.EMPTY_ARRAY);
    }

    /** Starts capturing; close() stops. */
    public static LogCapture begin() {
        LogCapture capture = new LogCapture("capture-" + System.nanoTime());
        capture.start0();
        return capture;
    }

    private void start0() {
        start();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration config = ctx.getConfiguration();
        config.addAppender(this);
        config.getRootLogger().addAppender(this, Level.ALL, null);
        ctx.updateLoggers();
    }

    @Override
    public void append(LogEvent event) {
        LogEvent copy = event.toImmutable();
        events.add(copy);
        lines.add(new String(getLayout().toByteArray(copy), java.nio.charset.StandardCharsets.UTF_8));
    }

    /** All captured output, one formatted event after the other. */
    public String text() {
        return String.join("", lines);
    }

    /** The captured events of one logger. */
    public List<LogEvent> events(String loggerName) {
        return events.stream().filter(e -> loggerName.equals(e.getLoggerName())).toList();
    }

    @Override
    public void close() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration config = ctx.getConfiguration();
        config.getRootLogger().removeAppender(getName());
        ctx.updateLoggers();
        stop();
    }
}
