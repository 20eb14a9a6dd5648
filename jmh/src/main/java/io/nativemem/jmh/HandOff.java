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

    @Benchmark
    @Group("nativemem")
    public void nativememAllocate(Control control) {
        NativeBuffer buffer = NativeBuffer.allocateDirect(size).putLong(0, size);
        while (!nativeQueue.offer(buffer)) {
            if (control.stopMeasurement) {
                buffer.close();
                return;
            }
            Thread.onSpinWait();
        }
    }

    @Benchmark
    @Group("nativemem")
    public long nativememReadAndClose(Control control) {
        NativeBuffer buffer;
        while ((buffer = nativeQueue.poll()) == null) {
            if (control.stopMeasurement) {
                return 0;
            }
            Thread.onSpinWait();
        }
        long v = buffer.getLong(0);
        buffer.close();
        return v;
    }

    private final ArrayBlockingQueue<NativeBuffer> bulkQueue = new ArrayBlockingQueue<>(64);

    /** As the nativemem group, the reader copying the first 8 bytes out: a bulk access, as a channel write is. */
    @Benchmark
    @Group("nativememBulk")
    public void nativememBulkAllocate(Control control) {
        NativeBuffer buffer = NativeBuffer.allocateDirect(size).putLong(0, size);
        while (!bulkQueue.offer(buffer)) {
            if (control.stopMeasurement) {
                buffer.close();
                return;
            }
            Thread.onSpinWait();
        }
    }

    @Benchmark
    @Group("nativememBulk")
    public byte nativememBulkReadAndClose(Control control) {
        NativeBuffer buffer;
        while ((buffer = bulkQueue.poll()) == null) {
            if (control.stopMeasurement) {
                return 0;
            }
            Thread.onSpinWait();
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
        while (!jdkQueue.offer(buffer)) {
            if (control.stopMeasurement) {
                Jdk.UNSAFE.invokeCleaner(buffer);
                return;
            }
            Thread.onSpinWait();
        }
    }

    @Benchmark
    @Group("jdk")
    public long jdkReadAndClose(Control control) {
        ByteBuffer buffer;
        while ((buffer = jdkQueue.poll()) == null) {
            if (control.stopMeasurement) {
                return 0;
            }
            Thread.onSpinWait();
        }
        long v = buffer.getLong(0);
        Jdk.UNSAFE.invokeCleaner(buffer);
        return v;
    }
}
