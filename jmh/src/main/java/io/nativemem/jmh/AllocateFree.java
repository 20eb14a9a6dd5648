package io.nativemem.jmh;

import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * One zeroed block, allocated and freed, at four sizes: nativemem's arenas and GC-managed
 * buffers beside the JDK's arenas and direct buffers and the raw libc floor, in one run.
 * Every variant returns something that depends on the memory, so nothing is optimised away.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxDirectMemorySize=64m",
        "-Dnativemem.maxMemory=64m", "--enable-native-access=ALL-UNNAMED"})
public class AllocateFree {

    @Param({"64", "4096", "65536", "1048576"})
    public int size;

    @Benchmark
    public long nativememConfined() {
        try (NativeArena arena = NativeArena.ofConfined()) {
            return arena.allocateBuffer(size).getLong(0);
        }
    }

    /** As {@link #nativememConfined}, with a segment instead of a buffer: what the JDK's variant does. */
    @Benchmark
    public long nativememConfinedSegment() {
        try (NativeArena arena = NativeArena.ofConfined()) {
            return arena.allocate(size, 16).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
        }
    }

    /** Two threads, each with arenas of its own: what they share inside the runtime shows here. */
    @Benchmark
    @Threads(2)
    public long nativememConfinedTwoThreads() {
        try (NativeArena arena = NativeArena.ofConfined()) {
            return arena.allocateBuffer(size).getLong(0);
        }
    }

    @Benchmark
    public long nativememShared() {
        try (NativeArena arena = NativeArena.ofShared()) {
            return arena.allocateBuffer(size).getLong(0);
        }
    }

    @Benchmark
    public long nativememDirectClosed() {
        NativeBuffer buffer = NativeBuffer.allocateDirect(size);
        long v = buffer.getLong(0);
        buffer.close();
        return v;
    }

    @Benchmark
    public long nativememDirectGc() {
        return NativeBuffer.allocateDirect(size).getLong(0);
    }

    @Benchmark
    public long nativememAutoGc() {
        return NativeArena.ofAuto().allocateBuffer(size).getLong(0);
    }

    @Benchmark
    public long jdkDirectCleaner() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(size);
        long v = buffer.getLong(0);
        Jdk.UNSAFE.invokeCleaner(buffer);
        return v;
    }

    @Benchmark
    public long jdkDirectGc() {
        return ByteBuffer.allocateDirect(size).getLong(0);
    }

    @Benchmark
    public long jdkArenaConfined() {
        try (Arena arena = Arena.ofConfined()) {
            return arena.allocate(size, 16).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
        }
    }

    @Benchmark
    @Threads(2)
    public long jdkArenaConfinedTwoThreads() {
        try (Arena arena = Arena.ofConfined()) {
            return arena.allocate(size, 16).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
        }
    }

    @Benchmark
    public long jdkArenaShared() {
        try (Arena arena = Arena.ofShared()) {
            return arena.allocate(size, 16).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
        }
    }

    @Benchmark
    public long jdkArenaAutoGc() {
        return Arena.ofAuto().allocate(size, 16).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
    }

    /** The floor for a Java caller: malloc + memset + free through critical downcalls. */
    @Benchmark
    public long rawFfmCritical() throws Throwable {
        MemorySegment block = (MemorySegment) Libc.MALLOC.invokeExact((long) size);
        MemorySegment ignored = (MemorySegment) Libc.MEMSET.invokeExact(block, 0, (long) size);
        long v = block.reinterpret(8).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
        Libc.FREE.invokeExact(block);
        return v;
    }

    /** The floor with handles that take and return addresses as {@code long}s: no segment is made or checked. */
    @Benchmark
    public long rawFfmCriticalLongs() throws Throwable {
        long block = (long) Libc.MALLOC_J.invokeExact((long) size);
        long ignored = (long) Libc.MEMSET_J.invokeExact(block, 0, (long) size);
        long v = MemorySegment.ofAddress(block).reinterpret(8).get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
        Libc.FREE_J.invokeExact(block);
        return v;
    }

    /** libc handles for the floor, built the same way nativemem builds its own. */
    static final class Libc {
        static final MethodHandle MALLOC = Jdk.critical("malloc",
                java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.ADDRESS,
                        java.lang.foreign.ValueLayout.JAVA_LONG));
        static final MethodHandle MEMSET = Jdk.critical("memset",
                java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.ADDRESS,
                        java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_INT,
                        java.lang.foreign.ValueLayout.JAVA_LONG));
        static final MethodHandle FREE = Jdk.critical("free",
                java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.ADDRESS));
        static final MethodHandle MALLOC_J = Jdk.critical("malloc",
                java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_LONG,
                        java.lang.foreign.ValueLayout.JAVA_LONG));
        static final MethodHandle MEMSET_J = Jdk.critical("memset",
                java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_LONG,
                        java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_INT,
                        java.lang.foreign.ValueLayout.JAVA_LONG));
        static final MethodHandle FREE_J = Jdk.critical("free",
                java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));
    }
}
