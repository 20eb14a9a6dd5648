package io.nativemem.jmh;

import io.nativemem.NativeArena;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/** 100 buffers of 64 B from one confined arena, then close: the cost per buffer. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "--enable-native-access=ALL-UNNAMED"})
@OperationsPerInvocation(100)
public class ManySmall {

    @Benchmark
    public long nativememConfined100x64() {
        long sum = 0;
        try (NativeArena arena = NativeArena.ofConfined()) {
            for (int i = 0; i < 100; i++) {
                sum += arena.allocateBuffer(64).getLong(56);
            }
        }
        return sum;
    }

    @Benchmark
    public long nativememConfined100x64Segments() {
        long sum = 0;
        try (NativeArena arena = NativeArena.ofConfined()) {
            for (int i = 0; i < 100; i++) {
                sum += arena.allocate(64, 16).get(ValueLayout.JAVA_LONG, 56);
            }
        }
        return sum;
    }

    @Benchmark
    public long jdkArenaConfined100x64() {
        long sum = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < 100; i++) {
                sum += arena.allocate(64, 16).get(ValueLayout.JAVA_LONG, 56);
            }
        }
        return sum;
    }
}
