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
 * The steps from {@link AtomicFloor} to {@link LedgerBench} on one thread, each adding one thing
 * the ledger's reserve + release does on top of two locked instructions: a compare-and-set (after
 * a read) for the release too, the stripe hashed from the thread's id for each, and the stripe's
 * words reached through two objects, as a caller reaches them through the ledger and its account.
 * What LedgerBench costs beyond the last step is the ledger's checks. Run beside both.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC"})
@Threads(1)
public class LedgerSteps {

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    /** 16 slots of 128 bytes, as the ledger's stripes. */
    private static final int SLOTS = 16;

    /** Where the words sit, one object further than the ledger: the account. */
    static final class Account {
        final long[] words = new long[(SLOTS + 1) * 16];
        final int stripeShift = 64 - Integer.numberOfTrailingZeros(SLOTS);
    }

    /** What a caller holds: the ledger. */
    static final class Holder {
        final Account account = new Account();
    }

    private final long[] words = new long[(SLOTS + 1) * 16];
    private final Holder holder = new Holder();

    /** AtomicFloor's cycle: a read, a compare-and-set, an add. */
    @Benchmark
    public void casAdd() {
        long word = (long) WORDS.getVolatile(words, 16);
        WORDS.compareAndSet(words, 16, word, word - 64 + 1);
        WORDS.getAndAdd(words, 16, 64L);
    }

    /** Two atomic adds, neither preceded by a read. */
    @Benchmark
    public void addAdd() {
        WORDS.getAndAdd(words, 16, -63L);
        WORDS.getAndAdd(words, 16, 64L);
    }

    /** A read and a compare-and-set for each: the ledger's two operations and nothing around them. */
    @Benchmark
    public void casCas() {
        long word = (long) WORDS.getVolatile(words, 16);
        WORDS.compareAndSet(words, 16, word, word - 64 + (1L << 21));
        word = (long) WORDS.getVolatile(words, 16);
        WORDS.compareAndSet(words, 16, word, word + 64 + (1L << 42));
    }

    /** casCas, the slot hashed from the thread's id for each operation. */
    @Benchmark
    public void casCasHashed() {
        int slot = slot(64 - Integer.numberOfTrailingZeros(SLOTS));
        long word = (long) WORDS.getVolatile(words, slot);
        WORDS.compareAndSet(words, slot, word, word - 64 + (1L << 21));
        slot = slot(64 - Integer.numberOfTrailingZeros(SLOTS));
        word = (long) WORDS.getVolatile(words, slot);
        WORDS.compareAndSet(words, slot, word, word + 64 + (1L << 42));
    }

    /** casCasHashed, the words and the shift two objects away. */
    @Benchmark
    public void casCasHashedFar() {
        Account account = holder.account;
        int slot = slot(account.stripeShift);
        long word = (long) WORDS.getVolatile(account.words, slot);
        WORDS.compareAndSet(account.words, slot, word, word - 64 + (1L << 21));
        account = holder.account;
        slot = slot(account.stripeShift);
        word = (long) WORDS.getVolatile(account.words, slot);
        WORDS.compareAndSet(account.words, slot, word, word + 64 + (1L << 42));
    }

    private static int slot(int shift) {
        return (1 + (int) ((Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L) >>> shift)) * 16;
    }
}
