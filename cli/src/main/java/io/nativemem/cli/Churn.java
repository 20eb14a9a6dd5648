package io.nativemem.cli;

import io.nativemem.NativeMemory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code churn}: the idea of OpenJDK's DirectBufferAllocTest. Threads allocate buffers and drop
 * them at once, so only the GC can give memory back; nativemem and
 * {@code ByteBuffer.allocateDirect} each run in a JVM of their own under the same limit, with a
 * live progress line, then side by side in a table. {@code --impl all} adds a third JVM, the JDK's
 * churn after one FFM downcall was linked: the price every process that uses the FFM API pays on
 * each full GC, which nativemem (whose libc calls are downcalls) cannot avoid.
 */
final class Churn {

    private static final Set<String> OPTIONS = Set.of("impl", "limit", "threads", "seconds", "size");

    private Churn() {
    }

    /**
     * The last figures a worker reported, from its line: "progress" or "done", seconds,
     * allocations, OOMs, reserved, GCs, GC ms, and when done GCs requested.
     */
    private record Figures(double seconds, long allocations, long ooms, long reserved, long gcs, long gcMillis,
                           long requested) {
        static Figures parse(String[] f) {
            return new Figures(Double.parseDouble(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                    Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]),
                    f.length > 7 ? Long.parseLong(f[7]) : 0);
        }

        double rate() {
            return seconds == 0 ? 0 : allocations / seconds;
        }

        /** Allocations per GC: under a limit, what each GC frees decides them. */
        String perGc() {
            return gcs == 0 ? "-" : String.format(Locale.ROOT, "%.0f", (double) allocations / gcs);
        }

        /** The collectors' time per GC: with allocations per GC, what sets the rate. */
        String millisPerGc() {
            return gcs == 0 ? "-" : String.format(Locale.ROOT, "%.1f", (double) gcMillis / gcs);
        }
    }

    static void run(List<String> args, PrintStream out) throws UsageException {
        Options options = Options.parse("churn", args, OPTIONS);
        String impl = options.text("impl", "both");
        List<String> impls = switch (impl) {
            case "both" -> List.of("nativemem", "jdk");
            case "all" -> List.of("nativemem", "jdk", ChurnWorker.JDK_WITH_FFM);
            case "nativemem", "jdk", ChurnWorker.JDK_WITH_FFM -> List.of(impl);
            default -> throw new UsageException("--impl " + impl + ": expected nativemem, jdk, " + ChurnWorker.JDK_WITH_FFM
                    + ", both or all");
        };
        long limit = options.bytes("limit", 128L << 20);
        if (limit <= 0) {
            throw new UsageException("--limit " + options.text("limit", "") + ": must be above 0");
        }
        int threads = options.positiveInt("threads", Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
        if (threads > 1024) {
            throw new UsageException("--threads " + threads + ": at most 1024");
        }
        double seconds = options.positiveSeconds("seconds", 5);
        String size = options.text("size", "1m");
        if (!size.equals("random")) {
            long bytes = options.bytes("size", 1 << 20);
            if (bytes <= 0 || bytes > Integer.MAX_VALUE || bytes > limit) {
                throw new UsageException("--size " + size + ": must be above 0, at most 2 GiB and at most the limit");
            }
        }
        boolean terminal = System.console() != null && System.console().isTerminal();
        out.printf("churn: %d threads, %s per buffer, %s limit, %s s per implementation%n", threads,
                size.equals("random") ? "random sizes up to 1 MiB" : Table.bytes(options.bytes("size", 1 << 20)),
                Table.bytes(limit), trim(seconds));
        List<Figures> results = new ArrayList<>();
        for (String name : impls) {
            results.add(runWorker(name, limit, threads, seconds, size, terminal, out));
        }
        Table table = new Table("implementation", "allocations", "per second", "OOMs", "GCs", "per GC", "ms per GC",
                "GCs requested", "vs allocateDirect");
        Figures jdk = impls.contains("jdk") ? results.get(impls.indexOf("jdk")) : null;
        for (int i = 0; i < impls.size(); i++) {
            Figures f = results.get(i);
            boolean ours = impls.get(i).equals("nativemem");
            table.row(switch (impls.get(i)) {
                        case "nativemem" -> "nativemem NativeBuffer.allocateDirect";
                        case "jdk" -> "JDK ByteBuffer.allocateDirect";
                        default -> "JDK allocateDirect, FFM in use";
                    },
                    f.allocations(), String.format(Locale.ROOT, "%.0f", f.rate()), f.ooms(), f.gcs(), f.perGc(),
                    f.millisPerGc(), ours ? Long.toString(f.requested()) : "-",
                    jdk == null || jdk.rate() == 0 ? "-" : String.format(Locale.ROOT, "%.2fx", f.rate() / jdk.rate()));
        }
        out.println();
        table.print(out);
        if (impls.contains("nativemem") && impls.contains(ChurnWorker.JDK_WITH_FFM)) {
            Figures control = results.get(impls.indexOf(ChurnWorker.JDK_WITH_FFM));
            if (control.rate() > 0) {
                out.printf(Locale.ROOT, "nativemem against allocateDirect in a JVM that uses the FFM API too: %.2fx%n",
                        results.get(impls.indexOf("nativemem")).rate() / control.rate());
            }
        }
    }

    private static Figures runWorker(String impl, long limit, int threads, double seconds, String size,
                                     boolean terminal, PrintStream out) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m",
                "-XX:MaxDirectMemorySize=" + limit, "-D" + Main.LIMIT_PROPERTY + "=" + limit));
        command.addAll(launchedAsThisJvm());
        command.addAll(List.of(ChurnWorker.COMMAND,
                "--impl", impl, "--threads", Integer.toString(threads), "--seconds", trim(seconds), "--size", size));
        String label = switch (impl) {
            case "jdk" -> "JDK allocateDirect";
            case ChurnWorker.JDK_WITH_FFM -> "JDK, FFM in use";
            default -> "nativemem";
        };
        Figures last = new Figures(0, 0, 0, 0, 0, 0, 0);
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                long lastPrinted = 0;
                String lastLine = "";
                for (String line; (line = lines.readLine()) != null; ) {
                    String[] fields = line.split(" ");
                    if (!fields[0].equals("progress") && !fields[0].equals("done")) {
                        continue;
                    }
                    last = Figures.parse(fields);
                    String progress = String.format(Locale.ROOT,
                            "  %-18s %5.1f s  %,10d allocations  %,8.0f/s  reserved %9s of %s  GCs %,d  OOMs %,d",
                            label, last.seconds(), last.allocations(), last.rate(), Table.bytes(last.reserved()),
                            Table.bytes(limit), last.gcs(), last.ooms());
                    if (terminal) {
                        out.print("\r" + progress + "\033[K");
                        out.flush();
                    } else if ((fields[0].equals("done") || System.nanoTime() - lastPrinted >= 1_000_000_000L)
                            && !progress.equals(lastLine)) {
                        out.println(progress); // a pipe gets plain lines, about once a second
                        lastPrinted = System.nanoTime();
                        lastLine = progress;
                    }
                }
            }
            if (terminal) {
                out.println();
            }
            int exit = process.waitFor();
            if (exit != 0) {
                throw new IllegalStateException("The " + label + " churn JVM exited with status " + exit);
            }
            return last;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return last;
        }
    }

    /**
     * Starts the command the way this JVM was started, with native access for the library: the
     * jar on the class path ({@code java -jar}, whose manifest names the library's jar), or the
     * command's module on the module path beside the library's.
     */
    private static List<String> launchedAsThisJvm() {
        Module command = Main.class.getModule();
        if (command.isNamed()) {
            return List.of("--enable-native-access=" + NativeMemory.class.getModule().getName() + "," + command.getName(),
                    "-p", System.getProperty("jdk.module.path"), "-m", command.getName() + "/" + Main.class.getName());
        }
        return List.of("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName());
    }

    private static String trim(double seconds) {
        return seconds == Math.rint(seconds) ? Long.toString((long) seconds) : Double.toString(seconds);
    }
}
