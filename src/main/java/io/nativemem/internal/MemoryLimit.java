package io.nativemem.internal;

import java.util.Locale;

/**
 * Parses the process-wide limit, given like {@code -XX:MaxDirectMemorySize}: bytes with an
 * optional {@code k}/{@code m}/{@code g}/{@code t} suffix in any case. {@code 0} is a limit of
 * zero bytes, as {@code -XX:MaxDirectMemorySize=0} is for the JDK: every allocation of one byte or
 * more fails at once (without asking for a GC), and empty ones succeed.
 */
public final class MemoryLimit {

    /** The system property that sets the limit, read once per process. */
    public static final String PROPERTY = "nativemem.maxMemory";

    private MemoryLimit() {
    }

    /**
     * Parses {@code value}; {@code null} means "unset" and gives {@code fallback}.
     *
     * @throws IllegalArgumentException naming the property and the value when it is malformed
     */
    public static long parse(String value, long fallback) {
        if (value == null) {
            return fallback;
        }
        String text = value.strip().toLowerCase(Locale.ROOT);
        if (text.isEmpty()) {
            throw Errors.malformedLimit(PROPERTY, value, "empty");
        }
        int shift = switch (text.charAt(text.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        String digits = shift == 0 ? text : text.substring(0, text.length() - 1);
        if (isWholeNumber(digits.substring(Math.min(1, digits.length()))) && digits.startsWith("-")
                && digits.chars().anyMatch(c -> c >= '1' && c <= '9')) {
            throw Errors.malformedLimit(PROPERTY, value, "negative: a limit is 0 bytes or more");
        }
        if (!isWholeNumber(digits)) {
            throw Errors.malformedLimit(PROPERTY, value, "not a whole number of bytes");
        }
        long number;
        try {
            number = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw Errors.malformedLimit(PROPERTY, value, "larger than " + Long.MAX_VALUE);
        }
        if (number > (Long.MAX_VALUE >> shift)) {
            throw Errors.malformedLimit(PROPERTY, value, "larger than " + Long.MAX_VALUE + " bytes");
        }
        return number << shift;
    }

    private static boolean isWholeNumber(String digits) {
        return !digits.isEmpty() && digits.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}
