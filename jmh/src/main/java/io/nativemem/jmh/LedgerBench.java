package io.nativemem.jmh;

import io.nativemem.internal.Ledger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The ledger alone: reserve + commit + release of one block (what every allocation and free does
 * to it), at 1, 2 and 4 threads sharing one ledger. The score is the time per operation of one
 * thread, so a ledger that scales keeps it flat as threads are added; on a machine with fewer
 * cores than threads the threads also take turns on the cores, which adds nothing per operation
 * but makes the run noisier. The class path gives the benchmarks the internal package; users never
 * see it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "--enable-native-access=ALL-UNNAMED"})
public class LedgerBench {

    /** 64 B: the smallest block; 4 KiB: a page, what the README's other tables start from. */
    @Param({"64", "4096"})
    public long size;

    private final Ledger ledger = new Ledger(1L << 40, Ledger.Reclaimer.NONE);

    @Benchmark
    @Threads(1)
    public void reserveRelease1Thread() {
        cycle();
    }

    @Benchmark
    @Threads(2)
    public void reserveRelease2Threads() {
        cycle();
    }

    @Benchmark
    @Threads(4)
    public void reserveRelease4Threads() {
        cycle();
    }

    private void cycle() {
        ledger.reserve(size);
        ledger.commit(size);
        ledger.release(size, 1);
    }
}
