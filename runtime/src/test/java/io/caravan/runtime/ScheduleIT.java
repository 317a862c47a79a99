package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.testing.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Map;
import org.apache.camel.component.quartz.QuartzComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quartz.CronTrigger;
import org.quartz.Scheduler;
import org.quartz.TriggerKey;

/**
 * Issue 10's schedule options: a cron read in its timezone (Gorax's trigger:schedule has one), and
 * what a tick does while the previous run is still going ({@code overlap}).
 */
class ScheduleIT {

    @TempDir
    Path home;

    @Test
    void aCronScheduleFiresAtItsTimeInItsTimeZone() throws Exception {
        Files.createDirectories(home.resolve("workflows"));
        Files.writeString(home.resolve("workflows/morning.yaml"), """
                id: morning
                nodes:
                  - {id: tick, type: schedule, config: {cron: "0 0 9 * * ?", timezone: Asia/Tokyo}}
                  - {id: say, type: log, config: {message: "good morning"}}
                edges: [{from: tick, to: say}]
                """);
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            Scheduler scheduler = runtime.context().getComponent("quartz", QuartzComponent.class).getScheduler();
            CronTrigger trigger = (CronTrigger) scheduler.getTrigger(TriggerKey.triggerKey("morning", "caravan"));
            assertThat(trigger).as("the quartz trigger of workflow morning").isNotNull();
            assertThat(trigger.getTimeZone().getID()).isEqualTo("Asia/Tokyo");
            ZonedDateTime next = trigger.getNextFireTime().toInstant().atZone(ZoneId.of("Asia/Tokyo"));
            assertThat(next.getHour()).isEqualTo(9);
            assertThat(next.getMinute()).isZero();
        }
    }

    @Test
    void overlapSkipSkipsTheTicksThatComeWhileARunIsGoingAndAllowDoesNot() throws Exception {
        // a tick every second, a run of 2.5 s: skip starts a run every third tick, allow every tick
        Files.createDirectories(home.resolve("workflows"));
        for (String overlap : new String[] {"skip", "allow"}) {
            Files.writeString(home.resolve("workflows/" + overlap + ".yaml"), """
                    id: slow-%s
                    nodes:
                      - {id: tick, type: schedule, config: {cron: "* * * * * ?", overlap: %s}}
                      - {id: work, type: delay, config: {duration: 2500ms}}
                    edges: [{from: tick, to: work}]
                    """.formatted(overlap, overlap));
        }
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            // the schedules tick once this instance leads them (the cluster service's first try)
            io.caravan.testing.Await.until("this instance leads both schedules", java.time.Duration.ofSeconds(30),
                    () -> io.caravan.runtime.cluster.Leadership.of(runtime.context(), "slow-skip").orElse(false)
                            && io.caravan.runtime.cluster.Leadership.of(runtime.context(), "slow-allow").orElse(false));
            // JMX says so too, naming this instance
            var jmx = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            var names = jmx.queryNames(new javax.management.ObjectName("io.caravan:type=Workflow,name="
                    + javax.management.ObjectName.quote("slow-skip") + ",*"), null);
            assertThat(names).hasSize(1);
            assertThat(jmx.getAttribute(names.iterator().next(), "ScheduleLeader"))
                    .isEqualTo("this instance (" + runtime.cluster().instance() + ")");
            Thread.sleep(6500);
            var registry = runtime.observability().registry();
            double skipStarted = count(registry, "caravan.messages.received", "slow-skip");
            double skipSkipped = count(registry, "caravan.schedule.skipped", "slow-skip");
            double allowStarted = count(registry, "caravan.messages.received", "slow-allow");
            double allowSkipped = count(registry, "caravan.schedule.skipped", "slow-allow");
            assertThat(skipStarted).as("runs started with overlap: skip").isBetween(1.0, 3.0);
            assertThat(skipSkipped).as("ticks skipped").isGreaterThanOrEqualTo(3.0);
            assertThat(allowStarted).as("runs started with overlap: allow").isGreaterThanOrEqualTo(4.0);
            assertThat(allowSkipped).isZero();
        }
    }

    private static double count(io.micrometer.core.instrument.MeterRegistry registry, String name, String workflow) {
        var counter = registry.find(name).tag("workflow", workflow).counter();
        assertThat(counter).as(name + " of " + workflow).isNotNull();
        return counter.count();
    }
}
