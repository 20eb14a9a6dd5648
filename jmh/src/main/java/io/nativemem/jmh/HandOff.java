package io.nativemem.jmh;

import io.nativemem.NativeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A buffer allocated and filled on one thread, read and freed on another: what a server does
 * with a buffer that one thread fills and an I/O thread writes out. For nativemem the reader's
 * first access moves the block out of the allocating thread's confined scope, and the
 * allocating thread closes that scope at its next allocation; for the JDK, {@code invokeCleaner}
 * on the reading thread. The queue between the two threads costs both the same.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxDirectMemorySize=64m",
        "-Dnativemem.maxMemory=64m", "--enable-native-access=ALL-UNNAMED"})
public class HandOff {

    @Param({"64", "4096", "65536"})
    public int size;

    private final ArrayBlockingQueue<NativeBuffer> nativeQueue = new ArrayBlockingQueue<>(64);
    private final ArrayBlockingQueue<ByteBuffer> jdkQueue = new ArrayBlockingQueue<>(64);
    private final ArrayBlockingQueue<NativeBuffer> bulkQueue = new ArrayBlockingQueue<>(64);

    @Benchmark
    @Group("nativemem")
    public void nativememAllocate(Control control) {
        NativeBuffer buffer = NativeBuffer.allocateDirect(size).putLong(0, size);
        if (!offer(nativeQueue, buffer, control)) {
            buffer.close();
        }
    }

    @Benchmark
    @Group("nativemem")
    public long nativememReadAndClose(Control control) {
        NativeBuffer buffer = poll(nativeQueue, control);
        if (buffer == null) {
            return 0;
        }
        long v = buffer.getLong(0);
        buffer.close();
        return v;
    }

    /** As the nativemem group, the reader copying the first 8 bytes out: a bulk access, as a channel write is. */
    @Benchmark
    @Group("nativememBulk")
    public void nativememBulkAllocate(Control control) {
        NativeBuffer buffer = NativeBuffer.allocateDirect(size).putLong(0, size);
        if (!offer(bulkQueue, buffer, control)) {
            buffer.close();
        }
    }

    @Benchmark
    @Group("nativememBulk")
    public byte nativememBulkReadAndClose(Control control) {
        NativeBuffer buffer = poll(bulkQueue, control);
        if (buffer == null) {
            return 0;
        }
        byte[] bytes = new byte[8];
        buffer.get(0, bytes);
        buffer.close();
        return bytes[7];
    }

    @Benchmark
    @Group("jdk")
    public void jdkAllocate(Control control) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(size).putLong(0, size);
        if (!offer(jdkQueue, buffer, control)) {
            Jdk.UNSAFE.invokeCleaner(buffer);
        }
    }

    @Benchmark
    @Group("jdk")
    public long jdkReadAndClose(Control control) {
        ByteBuffer buffer = poll(jdkQueue, control);
        if (buffer == null) {
            return 0;
        }
        long v = buffer.getLong(0);
        Jdk.UNSAFE.invokeCleaner(buffer);
        return v;
    }

    /** Spins until the queue takes {@code item}; false if the iteration ended first. */
    private static <T> boolean offer(ArrayBlockingQueue<T> queue, T item, Control control) {
        while (!queue.offer(item)) {
            if (control.stopMeasurement) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /** Spins until the queue has an item; null if the iteration ended first. */
    private static <T> T poll(ArrayBlockingQueue<T> queue, Control control) {
        T item;
        while ((item = queue.poll()) == null) {
            if (control.stopMeasurement) {
                return null;
            }
            Thread.onSpinWait();
        }
        return item;
    }
}
