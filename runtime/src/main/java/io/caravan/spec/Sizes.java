package io.caravan.spec;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads sizes as users write them: {@code 1048576} (bytes), {@code 512KiB}, {@code 1MiB}, {@code 2MB}. */
public final class Sizes {

    public static final String FORM = "a size like 1048576 (bytes), 512KiB, 1MiB or 2MB";

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KB|kB|KiB|MB|MiB|GB|GiB)?");

    private Sizes() {
    }

    public static Optional<Long> parse(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        long unit = switch (m.group(2) == null ? "B" : m.group(2)) {
            case "KB", "kB" -> 1_000L;
            case "KiB" -> 1_024L;
            case "MB" -> 1_000_000L;
            case "MiB" -> 1_048_576L;
            case "GB" -> 1_000_000_000L;
            case "GiB" -> 1_073_741_824L;
            default -> 1L;
        };
        try {
            return Optional.of(Math.multiplyExact(Long.parseLong(m.group(1)), unit));
        } catch (ArithmeticException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The shortest exact form: 1MiB, 512KiB, or bytes. */
    public static String format(long bytes) {
        if (bytes > 0 && bytes % 1_048_576L == 0) {
            return bytes / 1_048_576L + "MiB";
        }
        if (bytes > 0 && bytes % 1_024L == 0) {
            return bytes / 1_024L + "KiB";
        }
        return String.valueOf(bytes);
    }
}
