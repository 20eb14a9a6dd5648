package io.nativemem.jmh;

import io.nativemem.NativeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * What {@link HandOff} measures (a buffer allocated and written on one thread, read and freed on
 * another), with the two threads taking turns instead of running side by side: a helper thread
 * allocates a batch of {@value #BATCH} buffers while the benchmark thread waits, then the
 * benchmark thread reads and frees the batch while the helper waits. The figure is the cost of
 * a hand-off in both threads' work, free of the scheduling of two spinning threads on a small
 * machine, which made {@code HandOff}'s iterations vary two- to four-fold for the JDK as much
 * as for nativemem. The helper's next batch starts with whatever it owes for the last one
 * (nativemem: closing the confined scopes of the blocks the reader moved), as in a real hand-off.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxDirectMemorySize=64m",
        "-Dnativemem.maxMemory=64m", "--enable-native-access=ALL-UNNAMED"})
public class HandOffBatch {

    static final int BATCH = 128;

    /** The size, for both states: a state of its own each, so that only one producer thread spins at a time. */
    @State(Scope.Thread)
    public static class Size {
        @Param({"64", "4096", "65536"})
        public int size;
    }

    /** One side's producer thread, started for the trial and stopped after it. */
    public abstract static class Side<T> {
        Producer<T> producer;

        abstract Producer<T> producer(int size);

        @Setup(Level.Trial)
        public void start(Size s) {
            producer = producer(s.size);
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            producer.stop();
        }
    }

    @State(Scope.Thread)
    public static class Nativemem extends Side<NativeBuffer> {
        @Override
        Producer<NativeBuffer> producer(int size) {
            return new Producer<>(NativeBuffer[]::new, () -> NativeBuffer.allocateDirect(size).putLong(0, size));
        }
    }

    @State(Scope.Thread)
    public static class Jdk extends Side<ByteBuffer> {
        @Override
        Producer<ByteBuffer> producer(int size) {
            return new Producer<>(ByteBuffer[]::new, () -> ByteBuffer.allocateDirect(size).putLong(0, size));
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long nativemem(Nativemem state) {
        long sum = 0;
        for (NativeBuffer buffer : state.producer.next()) {
            sum += buffer.getLong(0);
            buffer.close();
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long jdk(Jdk state) {
        long sum = 0;
        for (ByteBuffer buffer : state.producer.next()) {
            sum += buffer.getLong(0);
            io.nativemem.jmh.Jdk.UNSAFE.invokeCleaner(buffer);
        }
        return sum;
    }

    /**
     * The buffers handed over and closed there without being used: the free a consumer thread
     * does for a producer (nativemem: the block goes back to its thread, which frees it at its
     * next allocation).
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void nativememCloseOnly(Nativemem state) {
        for (NativeBuffer buffer : state.producer.next()) {
            buffer.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void jdkCloseOnly(Jdk state) {
        for (ByteBuffer buffer : state.producer.next()) {
            io.nativemem.jmh.Jdk.UNSAFE.invokeCleaner(buffer);
        }
    }

    /** A thread that fills a batch when asked, and spins while the reader works. */
    private static final class Producer<T> implements Runnable {
        private final T[] batch;
        private final Supplier<T> allocate;
        private final Thread thread;
        /** 1: the reader asks for a batch; 2: the batch is ready (or none asked yet); 0: stop. */
        private volatile int turn = 2;

        Producer(IntFunction<T[]> arrays, Supplier<T> allocate) {
            this.batch = arrays.apply(BATCH);
            this.allocate = allocate;
            this.thread = new Thread(this, "hand-off producer");
            this.thread.setDaemon(true);
            this.thread.start();
        }

        /** The next batch, for the reader, which must be done with the previous one. */
        T[] next() {
            turn = 1;
            while (turn == 1) {
                Thread.onSpinWait();
            }
            return batch;
        }

        @Override
        public void run() {
            for (;;) {
                int t;
                while ((t = turn) == 2) {
                    Thread.onSpinWait();
                }
                if (t == 0) {
                    return;
                }
                for (int i = 0; i < BATCH; i++) {
                    batch[i] = allocate.get();
                }
                turn = 2;
            }
        }

        void stop() throws InterruptedException {
            turn = 0;
            thread.join();
        }
    }
}
