package io.nativemem.jmh;

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

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * The floor under {@link LedgerBench}: one compare-and-set and one atomic add on a cache line that
 * no other thread touches, what a reservation and a release cost at the least when each updates
 * shared memory once and nothing is kept per thread. Run beside LedgerBench, it tells the ledger's
 * own logic apart from the price of the two atomics on this machine.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "--enable-native-access=ALL-UNNAMED"})
public class AtomicFloor {

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    /** One word in the middle of 256 bytes of its own. */
    private final long[] words = new long[32];

    @Benchmark
    @Threads(1)
    public void casAndAdd1Thread() {
        cycle();
    }

    @Benchmark
    @Threads(2)
    public void casAndAdd2Threads() {
        cycle();
    }

    @Benchmark
    @Threads(4)
    public void casAndAdd4Threads() {
        cycle();
    }

    private void cycle() {
        long word = (long) WORDS.getVolatile(words, 16);
        if (!WORDS.compareAndSet(words, 16, word, word - 64 + 1)) {
            throw new IllegalStateException("no other thread writes here");
        }
        WORDS.getAndAdd(words, 16, 64L);
    }
}
