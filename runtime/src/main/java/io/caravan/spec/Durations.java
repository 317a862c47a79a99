package io.caravan.spec;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads durations as workflows write them: {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1m30s}. */
public final class Durations {

    public static final String FORM = "a duration like 500ms, 5s, 2m, 1h or 1m30s";

    // m(?!s) keeps the 'm' of 'ms' from being read as minutes
    private static final Pattern DURATION = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?");

    private Durations() {
    }

    public static Optional<Duration> parse(String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (text.isBlank() || !m.matches()) {
            return Optional.empty();
        }
        try {
            Duration d = Duration.ZERO;
            d = d.plusHours(part(m, 1)).plusMinutes(part(m, 2)).plusSeconds(part(m, 3)).plusMillis(part(m, 4));
            return Optional.of(d);
        } catch (ArithmeticException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The duration written the way {@link #parse} reads it, e.g. {@code 1m30s}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        if (d.toHours() > 0) {
            sb.append(d.toHours()).append('h');
        }
        if (d.toMinutesPart() > 0) {
            sb.append(d.toMinutesPart()).append('m');
        }
        if (d.toSecondsPart() > 0) {
            sb.append(d.toSecondsPart()).append('s');
        }
        if (d.toMillisPart() > 0) {
            sb.append(d.toMillisPart()).append("ms");
        }
        return sb.toString();
    }

    private static long part(Matcher m, int group) {
        String g = m.group(group);
        return g == null ? 0 : Long.parseLong(g);
    }
}
