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

/** A schedule's cron is read in its timezone (Gorax's trigger:schedule has one): Quartz's trigger carries it. */
class ScheduleTimeZoneIT {

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
}
