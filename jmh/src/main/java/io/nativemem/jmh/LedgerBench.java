package io.nativemem.jmh;

import io.nativemem.internal.Ledger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The reservation ledger alone, reserve + commit + release of 4 KiB (what every allocation and
 * free does to it), at 1 and 2 threads on one ledger (the class path gives the benchmarks the
 * internal package; users never see it).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "--enable-native-access=ALL-UNNAMED"})
public class LedgerBench {

    private final Ledger ledger = new Ledger(1L << 40, Ledger.Reclaimer.NONE);

    @Benchmark
    @Threads(1)
    public void reserveRelease1Thread() {
        ledger.reserve(4096);
        ledger.commit(4096);
        ledger.release(4096, 1);
    }

    @Benchmark
    @Threads(2)
    public void reserveRelease2Threads() {
        ledger.reserve(4096);
        ledger.commit(4096);
        ledger.release(4096, 1);
    }
}
