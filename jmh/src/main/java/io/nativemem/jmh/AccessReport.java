package io.nativemem.jmh;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns the JSON of an {@link Access} run into the README's accessor table: each NativeBuffer
 * loop for every kind of memory, the same loop over a DirectByteBuffer and over a MemorySegment,
 * and the worst ratio of any kind to each (the target is at most 1.1).
 *
 * <p>With more than one fork per benchmark it adds two columns, because C2 compiles some of these
 * loops in one of two ways from one JVM to the next, for the JDK's buffer as for ours (a loop
 * whose forks differ by 2x is common), so the worst of four kinds is mostly the unluckiest fork:
 * the median of every fork of every nativemem kind against the median of the JDK's forks (all
 * four kinds run the same accessor code, over a {@code DirectByteBuffer} view), and the spread of
 * the {@code DirectByteBuffer} loop's own forks (slowest / fastest, the worst of the kinds
 * compared), the noise any ratio in that row carries.
 *
 * <p>A nativemem loop over a mapped file is compared with the JDK's loops over a mapped file; the
 * other kinds with {@code ByteBuffer.allocateDirect} and a confined JDK arena's segment.
 */
public final class AccessReport {

    private static final List<String> KINDS = List.of("confined", "shared", "direct", "mapped");
    private static final List<String> TYPES = List.of("Byte", "Short", "Char", "Int", "Long", "Float", "Double");

    private final Map<String, Double> scores = new HashMap<>();
    private final Map<String, List<Double>> forkMeans = new HashMap<>();
    private final List<Double> medianToDbb = new ArrayList<>();
    private int forks;
    private final List<Double> worstToDbb = new ArrayList<>();
    private final List<Double> worstToMs = new ArrayList<>();
    private final StringBuilder out = new StringBuilder();

    public static void main(String[] args) throws IOException {
        AccessReport report = new AccessReport();
        String jdk = "";
        for (String file : args) {
            for (JsonElement element : JsonParser.parseString(Files.readString(Path.of(file))).getAsJsonArray()) {
                JsonObject run = element.getAsJsonObject();
                String name = run.get("benchmark").getAsString().replace("io.nativemem.jmh.Access.", "");
                JsonObject params = run.getAsJsonObject("params");
                String order = params.has("order") ? params.get("order").getAsString() : "BIG_ENDIAN";
                String key = key(name, params.get("kind").getAsString(), order);
                JsonObject metric = run.getAsJsonObject("primaryMetric");
                report.scores.put(key, metric.get("score").getAsDouble());
                List<Double> means = new ArrayList<>();
                for (JsonElement fork : metric.getAsJsonArray("rawData")) {
                    double sum = 0;
                    for (JsonElement iteration : fork.getAsJsonArray()) {
                        sum += iteration.getAsDouble();
                    }
                    means.add(sum / fork.getAsJsonArray().size());
                }
                report.forkMeans.put(key, means);
                report.forks = Math.max(report.forks, means.size());
                jdk = run.get("vmName").getAsString() + " " + run.get("vmVersion").getAsString();
            }
        }
        report.write(jdk);
        System.out.print(report.out);
    }

    private static String key(String name, String kind, String order) {
        return name + "@" + kind + "@" + order;
    }

    private void write(String jdk) {
        boolean perFork = forks > 1;
        line("Measured with " + jdk + "; ns per loop over 64 KiB (lower is better), the mean of " + forks
                + (forks == 1 ? " fork" : " forks") + ". Ratios: the slowest nativemem kind / the JDK loop (target <= 1.1)"
                + (perFork ? "; median / DBB: the median of every fork of the four kinds / the median of the"
                + " JDK's forks; DBB spread: the JDK loop's slowest fork / its fastest." : "."));
        line("");
        line("| loop | order | confined | shared | direct | mapped | DirectByteBuffer | MemorySegment | worst / DBB | worst / MS |"
                + (perFork ? " median / DBB | DBB spread |" : ""));
        line("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|" + (perFork ? "---:|---:|" : ""));
        for (String type : TYPES) {
            String t = type.toLowerCase(Locale.ROOT);
            String g = type.equals("Byte") ? "get" : "get" + type;
            String p = type.equals("Byte") ? "put" : "put" + type;
            for (String order : type.equals("Byte") ? List.of("BIG_ENDIAN") : List.of("BIG_ENDIAN", "LITTLE_ENDIAN")) {
                row(g + "(i)", order, "nbGet" + type + "Abs", "bbGet" + type + "Abs", "msGet" + type + "Abs");
                row(p + "(i, " + t + ")", order, "nbPut" + type + "Abs", "bbPut" + type + "Abs", "msPut" + type + "Abs");
                row(g + "() until the limit", order, "nbGet" + type + "Rel", "bbGet" + type + "Rel", "msGet" + type + "Abs");
                row(p + "(" + t + ") until the limit", order, "nbPut" + type + "Rel", "bbPut" + type + "Rel", "msPut" + type + "Abs");
            }
        }
        row("getLong(i), long loop index", "BIG_ENDIAN", "nbGetLongAbsLongIndex", null, "msGetLongAbsLongIndex");
        row("getLong(i), long loop index", "LITTLE_ENDIAN", "nbGetLongAbsLongIndex", null, "msGetLongAbsLongIndex");
        row("16 x put(byte[4096])", "-", "nbBulkPutArray", "bbBulkPutArray", "msBulkPutArray");
        row("16 x get(byte[4096])", "-", "nbBulkGetArray", "bbBulkGetArray", "msBulkGetArray");
        row("16 x put(index, byte[4096])", "-", "nbBulkPutArrayAbs", "bbBulkPutArrayAbs", "msBulkPutArray");
        row("16 x get(index, byte[4096])", "-", "nbBulkGetArrayAbs", "bbBulkGetArrayAbs", "msBulkGetArray");
        row("16 x put(heap ByteBuffer 4 KiB)", "-", "nbBulkPutHeapBuffer", "bbBulkPutHeapBuffer", "msBulkPutArray");
        row("16 x put(direct ByteBuffer 4 KiB)", "-", "nbBulkPutDirectBuffer", "bbBulkPutDirectBuffer", "msBulkPutSegment");
        row("16 x get(heap ByteBuffer 4 KiB)", "-", "nbBulkGetHeapBuffer", "bbBulkGetHeapBuffer", "msBulkGetArray");
        row("16 x put(NativeBuffer 4 KiB)", "-", "nbBulkPutNativeBuffer", "bbBulkPutDirectBuffer", "msBulkPutSegment");
        line("");
        line(String.format(Locale.ROOT, "Rows: %d. Worst ratio to DirectByteBuffer: %s; to MemorySegment: %s.",
                worstToMs.size(), max(worstToDbb), max(worstToMs))
                + (perFork ? String.format(Locale.ROOT, " Medians: worst ratio to DirectByteBuffer %s;"
                + " rows over 1.1: %d of %d.", max(medianToDbb), medianToDbb.stream().filter(r -> r > 1.1).count(),
                medianToDbb.size()) : ""));
    }

    private void row(String loop, String order, String nb, String bb, String ms) {
        String o = order.equals("-") ? "BIG_ENDIAN" : order;
        StringBuilder row = new StringBuilder("| `" + loop + "` | " + (order.equals("-") ? "-" : order.equals("BIG_ENDIAN") ? "BE" : "LE") + " |");
        double toDbb = Double.NaN;
        double toMs = Double.NaN;
        List<Double> ourForks = new ArrayList<>();
        Set<String> jdkLoops = new LinkedHashSet<>(); // three of our kinds meet the same JDK loop
        for (String kind : KINDS) {
            Double ours = scores.get(key(nb, kind, o));
            row.append(' ').append(format(ours)).append(" |");
            String jdkKind = kind.equals("mapped") ? "mapped" : "confined";
            Double dbb = bb == null ? null : scores.get(key(bb, jdkKind, o));
            Double seg = scores.get(key(ms, jdkKind, o));
            if (ours != null && dbb != null) {
                toDbb = Double.isNaN(toDbb) ? ours / dbb : Math.max(toDbb, ours / dbb);
                ourForks.addAll(forkMeans.get(key(nb, kind, o)));
                jdkLoops.add(key(bb, jdkKind, o));
            }
            if (ours != null && seg != null) {
                toMs = Double.isNaN(toMs) ? ours / seg : Math.max(toMs, ours / seg);
            }
        }
        row.append(' ').append(bb == null ? "-" : format(scores.get(key(bb, "confined", o)))).append(" |");
        row.append(' ').append(format(scores.get(key(ms, "confined", o)))).append(" |");
        row.append(' ').append(ratio(toDbb)).append(" |");
        row.append(' ').append(ratio(toMs)).append(" |");
        if (forks > 1) {
            List<Double> jdkForks = new ArrayList<>();
            double spread = Double.NaN;
            for (String jdkLoop : jdkLoops) {
                List<Double> jdk = forkMeans.get(jdkLoop);
                jdkForks.addAll(jdk);
                double jdkSpread = Collections.max(jdk) / Collections.min(jdk);
                spread = Double.isNaN(spread) ? jdkSpread : Math.max(spread, jdkSpread);
            }
            double medians = ourForks.isEmpty() ? Double.NaN : median(ourForks) / median(jdkForks);
            row.append(' ').append(ratio(medians)).append(" |");
            row.append(' ').append(Double.isNaN(spread) ? "-" : String.format(Locale.ROOT, "%.2f", spread)).append(" |");
            if (!Double.isNaN(medians)) {
                medianToDbb.add(medians);
            }
        }
        if (!Double.isNaN(toDbb)) {
            worstToDbb.add(toDbb);
        }
        if (!Double.isNaN(toMs)) {
            worstToMs.add(toMs);
        }
        line(row.toString());
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String format(Double score) {
        return score == null ? "n/a" : String.format(Locale.ROOT, "%,.0f", score);
    }

    private static String ratio(double r) {
        if (Double.isNaN(r)) {
            return "-";
        }
        String s = String.format(Locale.ROOT, "%.2f", r);
        return r > 1.1 ? "**" + s + "**" : s;
    }

    private static String max(List<Double> ratios) {
        return ratios.stream().mapToDouble(Double::doubleValue).max().stream()
                .mapToObj(AccessReport::ratio).findFirst().orElse("-");
    }

    private void line(String s) {
        out.append(s).append('\n');
    }
}
