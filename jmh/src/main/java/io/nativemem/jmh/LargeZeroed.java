package io.nativemem.jmh;

import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/** A 64 MiB zeroed buffer: allocate, write one byte in every 4 KiB page, free. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxDirectMemorySize=256m",
        "-Dnativemem.maxMemory=256m", "--enable-native-access=ALL-UNNAMED"})
public class LargeZeroed {

    private static final int SIZE = 64 << 20;

    @Benchmark
    public long nativemem64MiBTouchPages() {
        try (NativeArena arena = NativeArena.ofConfined()) {
            NativeBuffer buffer = arena.allocateBuffer(SIZE);
            for (long i = 0; i < SIZE; i += 4096) {
                buffer.put(i, (byte) 1);
            }
            return buffer.get(SIZE - 4096);
        }
    }

    @Benchmark
    public long jdkDirect64MiBTouchPages() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(SIZE);
        for (int i = 0; i < SIZE; i += 4096) {
            buffer.put(i, (byte) 1);
        }
        long v = buffer.get(SIZE - 4096);
        Jdk.UNSAFE.invokeCleaner(buffer);
        return v;
    }
}
