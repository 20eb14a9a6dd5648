package io.nativemem.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code --name value} and {@code --name=value} options, checked against the names a command knows. */
final class Options {

    private final Map<String, String> values = new LinkedHashMap<>();

    private Options() {
    }

    static Options parse(String command, List<String> args, Set<String> known) throws UsageException {
        Options options = new Options();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "' for " + command);
            }
            String name = arg.substring(2);
            int eq = name.indexOf('=');
            if (eq >= 0) {
                name = name.substring(0, eq);
            }
            if (known.isEmpty()) {
                throw new UsageException(command + " takes no options");
            }
            if (!known.contains(name)) {
                throw new UsageException("unknown option --" + name + " for " + command + " (known: --"
                        + String.join(", --", known.stream().sorted().toList()) + ")");
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(2 + eq + 1);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                throw new UsageException("option --" + name + " needs a value");
            }
            if (options.values.put(name, value) != null) {
                throw new UsageException("option --" + name + " given twice");
            }
        }
        return options;
    }

    String text(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    /** A size in bytes with an optional k/m/g/t suffix, as the limit property takes it. */
    long bytes(String name, long fallback) throws UsageException {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        long bytes = parseSize(value);
        if (bytes < 0) {
            throw new UsageException("--" + name + " " + value + ": not a size (examples: 4096, 64k, 1m, 2g)");
        }
        return bytes;
    }

    /**
     * Bytes with an optional k/m/g/t suffix in any case, as the library reads its limit
     * (-Dnativemem.maxMemory=64m); -1 for anything else: a sign, a fraction, an unknown suffix,
     * or more than {@code Long.MAX_VALUE} bytes.
     */
    private static long parseSize(String value) {
        String text = value.strip().toLowerCase(Locale.ROOT);
        int shift = text.isEmpty() ? 0 : switch (text.charAt(text.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        String digits = shift == 0 ? text : text.substring(0, text.length() - 1);
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        try {
            long number = Long.parseLong(digits);
            return number > (Long.MAX_VALUE >> shift) ? -1 : number << shift;
        } catch (NumberFormatException e) {
            return -1; // more than Long.MAX_VALUE
        }
    }

    int positiveInt(String name, int fallback) throws UsageException {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--" + name + " " + value + ": expected a whole number above 0");
    }

    double positiveSeconds(String name, double fallback) throws UsageException {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            double seconds = Double.parseDouble(value);
            if (seconds > 0 && seconds <= 3600) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--" + name + " " + value + ": expected seconds, above 0 and at most 3600");
    }
}
