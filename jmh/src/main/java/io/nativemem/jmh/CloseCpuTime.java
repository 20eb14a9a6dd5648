package io.nativemem.jmh;

import io.nativemem.NativeBuffer;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code AllocateFree}'s allocate + close cycle of a GC-managed buffer, beside the JDK's
 * allocateDirect + invokeCleaner, timed three ways: wall time, CPU time of the thread that
 * allocates and closes, and CPU time of the whole process (the closer thread, GC and JIT threads
 * included). Since close() hands the handshake and the frees to the {@code nativemem-closer}
 * thread, JMH's time per operation shows what the caller saves; the process CPU time shows what
 * the process pays for it. Prints the median of 11 rounds of 0.5 s each, after 4 rounds of warm-up,
 * with the process's minor page faults and the calling thread's context switches (Linux only).
 *
 * <pre>java -Dnativemem.maxMemory=64m -XX:MaxDirectMemorySize=64m -Xms1g -Xmx1g -XX:+UseG1GC \
 *     --enable-native-access=ALL-UNNAMED -cp jmh/target/benchmarks.jar io.nativemem.jmh.CloseCpuTime</pre>
 */
public final class CloseCpuTime {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final int WARMUP = 4;
    private static final int ROUNDS = 11;
    private static final long ROUND_NANOS = 500_000_000L;
    private static long sink;

    private CloseCpuTime() {
    }

    interface Cycle {
        long run(int size);
    }

    public static void main(String[] args) {
        int[] sizes = args.length > 0 ? Arrays.stream(args).mapToInt(Integer::parseInt).toArray()
                : new int[] {64, 4096, 65536, 1048576};
        System.out.println("size     variant    wall  caller cpu  process cpu   (ns per cycle)"
                + "  faults  caller switches  (per 1000 cycles)");
        for (int size : sizes) {
            Cycle nativemem = s -> {
                NativeBuffer buffer = NativeBuffer.allocateDirect(s);
                long v = buffer.getLong(0);
                buffer.close();
                return v;
            };
            Cycle jdk = s -> {
                ByteBuffer buffer = ByteBuffer.allocateDirect(s);
                long v = buffer.getLong(0);
                Jdk.UNSAFE.invokeCleaner(buffer);
                return v;
            };
            io.nativemem.MemoryStats before = io.nativemem.NativeMemory.stats();
            double[][] n = new double[5][ROUNDS];
            double[][] j = new double[5][ROUNDS];
            for (int round = -WARMUP; round < ROUNDS; round++) {
                // Interleaved, so that what else runs on the machine weighs on both alike.
                measure(nativemem, size, n, round);
                measure(jdk, size, j, round);
            }
            io.nativemem.MemoryStats after = io.nativemem.NativeMemory.stats();
            System.out.printf(Locale.ROOT, "%-8d slow-path waits %d, GCs requested %d%n", size,
                    after.waitedReservations() - before.waitedReservations(), after.gcRequests() - before.gcRequests());
            print(size, "nativemem", n);
            print(size, "jdk", j);
            System.out.printf(Locale.ROOT, "%-8d %-9s %7.2f %11.2f %12.2f%n", size, "ratio",
                    median(n[0]) / median(j[0]), median(n[1]) / median(j[1]), median(n[2]) / median(j[2]));
        }
        if (sink == 42) {
            System.out.println();
        }
    }

    private static void measure(Cycle cycle, int size, double[][] times, int round) {
        long wall0 = System.nanoTime();
        long thread0 = THREADS.getCurrentThreadCpuTime();
        long process0 = OS.getProcessCpuTime();
        long faults0 = minorFaults();
        long switches0 = contextSwitches();
        long ops = 0;
        long v = 0;
        long end = wall0 + ROUND_NANOS;
        do {
            for (int i = 0; i < 256; i++) {
                v += cycle.run(size);
            }
            ops += 256;
        } while (System.nanoTime() < end);
        long wall = System.nanoTime() - wall0;
        long thread = THREADS.getCurrentThreadCpuTime() - thread0;
        long process = OS.getProcessCpuTime() - process0;
        long faults = minorFaults() - faults0;
        long switches = contextSwitches() - switches0;
        sink += v;
        if (round >= 0) {
            times[0][round] = wall / (double) ops;
            times[1][round] = thread / (double) ops;
            times[2][round] = process / (double) ops;
            times[3][round] = faults * 1000.0 / ops;
            times[4][round] = switches * 1000.0 / ops;
        }
    }

    private static void print(int size, String name, double[][] times) {
        System.out.printf(Locale.ROOT, "%-8d %-9s %7.1f %11.1f %12.1f  %6.1f  %15.2f%n", size, name,
                median(times[0]), median(times[1]), median(times[2]), median(times[3]), median(times[4]));
    }

    /** Minor page faults of the whole process so far (Linux: /proc/self/stat, field 10), or 0. */
    private static long minorFaults() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            // The command name, in parentheses, may hold spaces: count the fields after it.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[7]);
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Context switches of the calling thread so far (Linux: /proc/thread-self/status), or 0. */
    private static long contextSwitches() {
        try {
            long sum = 0;
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/thread-self/status"))) {
                if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                    sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            return sum;
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
