package io.nativemem.jmh;

import io.nativemem.internal.Ledger;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.function.Supplier;

/**
 * LedgerBench's cycle (reserve + commit + release of one block on one shared ledger) timed in CPU
 * time as well as wall time, beside its floor (a CAS and an atomic add on a line of the thread's
 * own), at 1, 2 and 4 threads. On a machine whose cores other processes share, or with more
 * threads than cores, JMH's time per operation counts the time a thread waits for a core; CPU
 * time leaves that out and keeps what sharing cache lines costs. Prints the median of 15 rounds
 * of 2 million cycles per thread.
 *
 * <pre>java -cp jmh/target/benchmarks.jar io.nativemem.jmh.LedgerCpuTime</pre>
 */
public final class LedgerCpuTime {

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int CYCLES = 2_000_000;
    private static final int ROUNDS = 15;

    private LedgerCpuTime() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("threads  size  ledger wall  ledger cpu  floor wall  floor cpu  cpu ratio (ns per cycle)");
        for (int threads : new int[] {1, 2, 4}) {
            for (long size : new long[] {64, 4096}) {
                Ledger ledger = new Ledger(1L << 40, Ledger.Reclaimer.NONE);
                double[][] ledgerTimes = new double[2][ROUNDS];
                double[][] floorTimes = new double[2][ROUNDS];
                for (int round = 0; round < ROUNDS; round++) {
                    Runnable cycle = () -> {
                        ledger.reserve(size);
                        ledger.commit(size);
                        ledger.release(size, 1);
                    };
                    run(threads, () -> cycle, ledgerTimes, round);
                    run(threads, () -> new Floor(size), floorTimes, round);
                }
                double lw = median(ledgerTimes[0]);
                double lc = median(ledgerTimes[1]);
                double fw = median(floorTimes[0]);
                double fc = median(floorTimes[1]);
                System.out.printf(Locale.ROOT, "%7d  %4d  %11.1f  %10.1f  %10.1f  %9.1f  %9.2f%n",
                        threads, size, lw, lc, fw, fc, lc / fc);
            }
        }
    }

    /** A CAS and an atomic add on a word with 128 bytes of its own on either side: one per thread. */
    private static final class Floor implements Runnable {
        private final long size;
        private final long[] words = new long[33];

        Floor(long size) {
            this.size = size;
        }

        @Override
        public void run() {
            long word = (long) WORDS.getVolatile(words, 16);
            WORDS.compareAndSet(words, 16, word, word - size + 1);
            WORDS.getAndAdd(words, 16, size);
        }
    }

    /** Runs a cycle CYCLES times on each of {@code threads} threads at once; records the means. */
    private static void run(int threads, Supplier<Runnable> cycles, double[][] times, int round) throws Exception {
        CyclicBarrier start = new CyclicBarrier(threads);
        double[] wall = new double[threads];
        double[] cpu = new double[threads];
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int index = t;
            Runnable cycle = cycles.get();
            workers[t] = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                long cpu0 = THREADS.getCurrentThreadCpuTime();
                long wall0 = System.nanoTime();
                for (int i = 0; i < CYCLES; i++) {
                    cycle.run();
                }
                wall[index] = (System.nanoTime() - wall0) / (double) CYCLES;
                cpu[index] = (THREADS.getCurrentThreadCpuTime() - cpu0) / (double) CYCLES;
            });
        }
        for (Thread worker : workers) {
            worker.join();
        }
        times[0][round] = Arrays.stream(wall).average().orElseThrow();
        times[1][round] = Arrays.stream(cpu).average().orElseThrow();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
