package io.nativemem.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

/**
 * Zeroing one block already allocated, three ways: a critical {@code memset} downcall (what the
 * allocation pipeline does), {@code MemorySegment.fill} (the public way to the JDK's
 * {@code Unsafe.setMemory}, with which its arenas zero), and a loop of long stores through a
 * {@code DirectByteBuffer} view, which C2 vectorises, and the same through segments
 * ({@code everythingLoop}: one segment of the whole address space, what the allocator uses from
 * 4 KiB to 128 KiB since issue 12). glibc's {@code memset} switches to {@code rep stosb} from
 * 2 KiB, which is not the fastest way on every CPU; this says which way wins at which size on the
 * machine it runs on.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class Zeroing {

    private static final MethodHandle MEMSET = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().findOrThrow("memset"),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
            Linker.Option.critical(false));

    @Param({"64", "512", "4096", "16384", "65536", "262144", "1048576"})
    public int size;

    private Arena arena;
    private MemorySegment block;
    private MemorySegment global;
    private java.nio.ByteBuffer view;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofConfined();
        block = arena.allocate(size, 16);
        global = MemorySegment.ofAddress(block.address()).reinterpret(size);
        view = global.asByteBuffer();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public long memsetCritical() throws Throwable {
        return (long) MEMSET.invokeExact(block.address(), 0, (long) size);
    }

    @Benchmark
    public MemorySegment fillConfined() {
        return block.fill((byte) 0);
    }

    @Benchmark
    public MemorySegment fillGlobal() {
        return global.fill((byte) 0);
    }

    /** A loop of long stores through a {@code DirectByteBuffer} view, which C2 vectorises. */
    @Benchmark
    public java.nio.ByteBuffer viewLoop() {
        return zero(view);
    }

    /** As {@link #viewLoop}, with the view made for the call, as a new block would need. */
    @Benchmark
    public java.nio.ByteBuffer newViewLoop() {
        return zero(global.asByteBuffer());
    }

    /** A loop of long stores through a segment of the global scope, as the allocator would make for a new block. */
    @Benchmark
    public MemorySegment newSegmentLoop() {
        return zero(MemorySegment.ofAddress(block.address()).reinterpret(size));
    }

    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** A loop of long stores through one segment of the whole address space: nothing is allocated per call. */
    @Benchmark
    public long everythingLoop() {
        long start = block.address();
        long end = start + (size & ~7L);
        for (long a = start; a < end; a += 8) {
            EVERYTHING.set(ValueLayout.JAVA_LONG_UNALIGNED, a, 0L);
        }
        return start;
    }

    private static MemorySegment zero(MemorySegment s) {
        long n = s.byteSize() & ~7L;
        for (long i = 0; i < n; i += 8) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, 0L);
        }
        for (long i = n; i < s.byteSize(); i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) 0);
        }
        return s;
    }

    private static java.nio.ByteBuffer zero(java.nio.ByteBuffer v) {
        int n = v.capacity() & ~7;
        for (int i = 0; i < n; i += 8) {
            v.putLong(i, 0L);
        }
        for (int i = n; i < v.capacity(); i++) {
            v.put(i, (byte) 0);
        }
        return v;
    }
}
