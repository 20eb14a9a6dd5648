package io.nativemem.jmh;

import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Element access past 2 GiB, where a buffer has no {@code DirectByteBuffer} view and works on its
 * segment with {@code long} indices and a cursor of its own: one loop over 64 KiB that straddles
 * the 2 GiB mark of a 2 GiB + 64 KiB buffer, beside the same loop over a JDK segment of the same
 * size ({@code ms*}) and, for scale, over a 64 KiB {@code DirectByteBuffer} ({@code bb*}, which
 * cannot reach past 2 GiB). Each fork allocates and zeroes 4 GiB + 128 KiB of native memory.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-Dnativemem.maxMemory=3g",
        "--enable-native-access=ALL-UNNAMED"})
public class LargeAccess {

    static final int WINDOW = 64 * 1024;
    static final long SIZE = (1L << 31) + WINDOW;
    /** The window's first byte: half of it below 2 GiB, half above. */
    static final long START = (1L << 31) - WINDOW / 2;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private NativeArena arena;
    private Arena jdkArena;
    private NativeBuffer nb;
    private MemorySegment ms;
    private ByteBuffer bb;

    @Setup(Level.Trial)
    public void setUp() {
        arena = NativeArena.ofConfined();
        nb = arena.allocateBuffer(SIZE);
        jdkArena = Arena.ofConfined();
        ms = jdkArena.allocate(SIZE, 16).fill((byte) 0);
        bb = ByteBuffer.allocateDirect(WINDOW);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        jdkArena.close();
    }

    @Benchmark
    public long nbGetLongAbs() {
        NativeBuffer b = nb;
        long s = 0;
        for (long i = START; i < START + WINDOW; i += Long.BYTES) {
            s += b.getLong(i);
        }
        return s;
    }

    @Benchmark
    public long nbGetLongRel() {
        NativeBuffer b = nb;
        b.limit(START + WINDOW).position(START);
        long s = 0;
        while (b.hasRemaining()) {
            s += b.getLong();
        }
        return s;
    }

    @Benchmark
    public NativeBuffer nbPutLongRel() {
        NativeBuffer b = nb;
        b.limit(START + WINDOW).position(START);
        long v = 0;
        while (b.hasRemaining()) {
            b.putLong(v++);
        }
        return b;
    }

    @Benchmark
    public long msGetLongAbs() {
        MemorySegment m = ms;
        long s = 0;
        for (long i = START; i < START + WINDOW; i += Long.BYTES) {
            s += m.get(LONG, i);
        }
        return s;
    }

    @Benchmark
    public MemorySegment msPutLong() {
        MemorySegment m = ms;
        long v = 0;
        for (long i = START; i < START + WINDOW; i += Long.BYTES) {
            m.set(LONG, i, v++);
        }
        return m;
    }

    @Benchmark
    public long bbGetLongRel() {
        ByteBuffer b = bb;
        b.clear();
        long s = 0;
        while (b.hasRemaining()) {
            s += b.getLong();
        }
        return s;
    }
}
