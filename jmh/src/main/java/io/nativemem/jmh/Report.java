package io.nativemem.jmh;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns JMH's JSON results into the Markdown tables of the README: ns/op side by side, then each
 * nativemem variant as a ratio of its JDK counterpart and of the raw libc floor (below 1: faster).
 */
public final class Report {

    private static final List<String> SIZES = List.of("64", "4096", "65536", "1048576");
    private static final List<String> SIZE_NAMES = List.of("64 B", "4 KiB", "64 KiB", "1 MiB");

    /** A result: score and error in its unit, and heap bytes allocated per operation. */
    record Result(double score, double error, String unit, double heapBytes) {
    }

    private final Map<String, Result> results = new LinkedHashMap<>();
    private final StringBuilder out = new StringBuilder();

    public static void main(String[] args) throws IOException {
        JsonArray runs = JsonParser.parseString(Files.readString(Path.of(args[0]))).getAsJsonArray();
        Report report = new Report();
        String jdk = "";
        for (JsonElement element : runs) {
            JsonObject run = element.getAsJsonObject();
            String name = run.get("benchmark").getAsString().replace("io.nativemem.jmh.", "");
            JsonObject params = run.getAsJsonObject("params");
            String key = params != null && params.has("size") ? name + "@" + params.get("size").getAsString() : name;
            JsonObject primary = run.getAsJsonObject("primaryMetric");
            JsonObject secondary = run.getAsJsonObject("secondaryMetrics");
            double heap = secondary != null && secondary.has("gc.alloc.rate.norm")
                    ? secondary.getAsJsonObject("gc.alloc.rate.norm").get("score").getAsDouble() : Double.NaN;
            double error = primary.get("scoreError").isJsonPrimitive() && !primary.get("scoreError").getAsString().equals("NaN")
                    ? primary.get("scoreError").getAsDouble() : Double.NaN;
            report.results.put(key, new Result(primary.get("score").getAsDouble(), error,
                    primary.get("scoreUnit").getAsString(), heap));
            jdk = run.get("vmName").getAsString() + " " + run.get("vmVersion").getAsString() + ", JMH "
                    + run.get("jmhVersion").getAsString();
        }
        report.write(jdk);
        System.out.print(report.out);
    }

    private void write(String jdk) {
        line("Measured with " + jdk + ", " + Runtime.getRuntime().availableProcessors() + " CPUs; average time, "
                + "lower is better. Ratios are nativemem / the other (below 1: nativemem is faster).");
        line("");
        line("### One zeroed block, allocated and freed (ns/op)");
        line("");
        header("variant");
        String[][] variants = {
            {"AllocateFree.nativememConfined", "nativemem confined arena + close"},
            {"AllocateFree.nativememConfinedSegment", "nativemem confined arena, a segment, + close"},
            {"AllocateFree.nativememConfinedTwoThreads", "nativemem confined arena + close, 2 threads"},
            {"AllocateFree.nativememShared", "nativemem shared arena + close"},
            {"AllocateFree.nativememDirectClosed", "nativemem allocateDirect + close()"},
            {"AllocateFree.nativememDirectGc", "nativemem allocateDirect, freed by the GC"},
            {"AllocateFree.nativememAutoGc", "nativemem auto arena, freed by the GC"},
            {"AllocateFree.jdkDirectCleaner", "JDK allocateDirect + invokeCleaner"},
            {"AllocateFree.jdkDirectGc", "JDK allocateDirect, freed by the GC"},
            {"AllocateFree.jdkArenaConfined", "JDK Arena.ofConfined + close"},
            {"AllocateFree.jdkArenaConfinedTwoThreads", "JDK Arena.ofConfined + close, 2 threads"},
            {"AllocateFree.jdkArenaShared", "JDK Arena.ofShared + close"},
            {"AllocateFree.jdkArenaAutoGc", "JDK Arena.ofAuto, freed by the GC"},
            {"AllocateFree.rawFfmCritical", "libc malloc+memset+free, critical FFM (floor)"},
            {"AllocateFree.rawFfmCriticalLongs", "the same, pointers passed as longs"},
        };
        for (String[] v : variants) {
            row(v[1], size -> format(get(v[0] + "@" + size)));
        }
        line("");
        line("### Ratios");
        line("");
        header("nativemem / other");
        String[][] ratios = {
            {"AllocateFree.nativememConfined", "AllocateFree.rawFfmCritical", "confined / libc floor (target <= 1.5 at 64 B)"},
            {"AllocateFree.nativememConfined", "AllocateFree.jdkArenaConfined", "confined / JDK confined (target <= 1)"},
            {"AllocateFree.nativememConfinedSegment", "AllocateFree.jdkArenaConfined", "confined segment / JDK confined (target <= 1)"},
            {"AllocateFree.nativememConfinedTwoThreads", "AllocateFree.nativememConfined", "confined 2 threads / 1 thread (target <= 1.2)"},
            {"AllocateFree.nativememConfinedTwoThreads", "AllocateFree.jdkArenaConfinedTwoThreads", "confined 2 threads / JDK's 2 threads (target <= 1.2)"},
            {"AllocateFree.nativememConfined", "AllocateFree.jdkDirectCleaner", "confined / allocateDirect+cleaner (target <= 0.4)"},
            {"AllocateFree.nativememShared", "AllocateFree.jdkArenaShared", "shared / JDK shared"},
            {"AllocateFree.nativememDirectClosed", "AllocateFree.jdkDirectCleaner", "allocateDirect+close / JDK allocateDirect+cleaner"},
            {"AllocateFree.nativememDirectGc", "AllocateFree.jdkDirectGc", "allocateDirect left to GC / JDK's"},
            {"AllocateFree.nativememAutoGc", "AllocateFree.jdkArenaAutoGc", "auto arena / JDK auto arena"},
        };
        for (String[] r : ratios) {
            row(r[2], size -> ratio(get(r[0] + "@" + size), get(r[1] + "@" + size)));
        }
        line("");
        line("### Heap bytes allocated per block (JMH -prof gc, gc.alloc.rate.norm)");
        line("");
        header("variant");
        for (String[] v : variants) {
            row(v[1], size -> {
                Result r = get(v[0] + "@" + size);
                return r == null || Double.isNaN(r.heapBytes()) ? "n/a" : String.format(Locale.ROOT, "%.0f", r.heapBytes());
            });
        }
        line("");
        line("### Other targets");
        line("");
        line("| benchmark | nativemem | other | ratio |");
        line("|---|---|---|---|");
        pair("100 x 64 B from one confined arena, per buffer (target <= 10 ns, <= 0.25 x JDK)",
                "ManySmall.nativememConfined100x64", "ManySmall.jdkArenaConfined100x64");
        pair("100 x 64 B from one confined arena, per segment (target <= 10 ns, <= 0.25 x JDK)",
                "ManySmall.nativememConfined100x64Segments", "ManySmall.jdkArenaConfined100x64");
        // The ledger beside its floor, a CAS and an atomic add per operation on a line of the
        // thread's own, at as many threads: targets 1 thread <= 5 ns, 2 and 4 threads <= 6 ns.
        String[] threads = {"1Thread", "2Threads", "4Threads"};
        String[] targets = {"5", "6", "6"};
        for (int s = 0; s < 2; s++) {
            for (int t = 0; t < threads.length; t++) {
                pair("ledger reserve + commit + release of " + SIZE_NAMES.get(s) + ", " + threads[t].replace("T", " t")
                        + " vs a CAS + an add (target <= " + targets[t] + " ns)",
                        "LedgerBench.reserveRelease" + threads[t] + "@" + SIZES.get(s), "AtomicFloor.casAndAdd" + threads[t]);
            }
        }
        // One thread allocates, another reads and frees (HandOff): the move out of the
        // allocating thread's confined scope, against allocateDirect + invokeCleaner.
        for (int s = 0; s < 3; s++) {
            pair("a buffer of " + SIZE_NAMES.get(s) + " handed to another thread, read and freed there, vs allocateDirect",
                    "HandOff.nativemem@" + SIZES.get(s), "HandOff.jdk@" + SIZES.get(s));
        }
        // The same with the two threads taking turns (HandOffBatch): the work, without the
        // scheduling of two spinning threads on a small machine.
        for (int s = 0; s < 3; s++) {
            pair("the same, the threads taking turns over batches of 128 (HandOffBatch), " + SIZE_NAMES.get(s),
                    "HandOffBatch.nativemem@" + SIZES.get(s), "HandOffBatch.jdk@" + SIZES.get(s));
        }
        pair("64 MiB zeroed, touch every page, free vs allocateDirect (target < 1)",
                "LargeZeroed.nativemem64MiBTouchPages", "LargeZeroed.jdkDirect64MiBTouchPages");
        line("");
        line("### The floor under any arena of ours (ns/op, heap bytes/op)");
        line("");
        line("| what | ns | heap B |");
        line("|---|---:|---:|");
        String[][] floor = {
            {"ArenaFloor.jdkArenaOpenClose", "JDK Arena.ofConfined + close, nothing escapes"},
            {"ArenaFloor.jdkArenaScopeEscapes", "the same, its session on the heap"},
            {"ArenaFloor.phantomOnScope", "+ a phantom reference on the scope, one CAS, cleared"},
            {"ArenaFloor.phantomOnScopeTwoThreadsOneHead", "the same, 2 threads, one list head"},
            {"ArenaFloor.phantomOnScopeTwoThreadsStriped", "the same, 2 threads, heads striped by thread"},
            {"ArenaFloor.ledgerOneBlock", "ledger: reserve + commit + release of one block"},
            {"ArenaFloor.ledgerPerBlockOf100", "ledger: reserve + commit per block of 100, one release"},
            {"AllocateFree.rawFfmCriticalLongs@64", "libc: malloc + memset + free of 64 B, pointers as longs"},
        };
        for (String[] f : floor) {
            Result r = get(f[0]);
            line("| " + f[1] + " | " + format(r) + " | " + (r == null || Double.isNaN(r.heapBytes()) ? "n/a"
                    : String.format(Locale.ROOT, "%.0f", r.heapBytes())) + " |");
        }
    }

    private Result get(String key) {
        return results.get(key);
    }

    private void header(String first) {
        line("| " + first + " | " + String.join(" | ", SIZE_NAMES) + " |");
        line("|---" + "|---:".repeat(SIZES.size()) + "|");
    }

    private void row(String name, java.util.function.Function<String, String> cell) {
        StringBuilder row = new StringBuilder("| " + name + " |");
        for (String size : SIZES) {
            row.append(' ').append(cell.apply(size)).append(" |");
        }
        line(row.toString());
    }

    private void pair(String name, String ours, String theirs) {
        Result a = get(ours);
        Result b = get(theirs);
        line("| " + name + " | " + format(a) + " | " + format(b) + " | " + ratio(a, b) + " |");
    }

    private static String format(Result r) {
        if (r == null) {
            return "n/a";
        }
        String error = Double.isNaN(r.error()) ? "" : String.format(Locale.ROOT, " ± %.0f%%", 100 * r.error() / r.score());
        return String.format(Locale.ROOT, r.score() < 100 ? "%.1f" : "%.0f", r.score()) + error
                + (r.unit().equals("ns/op") ? "" : " " + r.unit());
    }

    private static String ratio(Result a, Result b) {
        return a == null || b == null ? "n/a" : String.format(Locale.ROOT, "%.2f", a.score() / b.score());
    }

    private void line(String s) {
        out.append(s).append('\n');
    }
}
