package io.nativemem.jmh;

import io.nativemem.NativeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * What one {@code System.gc()} costs in a lean process with an almost empty heap, by what the
 * process used before: {@code allocateDirect}, two FFM downcalls and a segment access, or
 * nativemem's GC-managed buffers. Not a JMH benchmark on purpose: a JMH fork already holds the
 * harness's method handles, which hide the difference (README, churn). Under a limit, a churning
 * process frees what it dropped only through full GCs, and both nativemem and the JDK get the
 * same blocks per GC, so this is the floor under {@code ./nativemem churn}. Run it as
 * {@code java --enable-native-access=ALL-UNNAMED -Xmx512m -cp jmh/target/benchmarks.jar
 * io.nativemem.jmh.FullGcCost allocateDirect|ffm|nativemem}.
 */
public final class FullGcCost {

    private FullGcCost() {
    }

    public static void main(String[] args) throws Throwable {
        String used = args.length > 0 ? args[0] : "allocateDirect";
        Object kept = use(used);
        for (int i = 0; i < 50; i++) {
            System.gc();
        }
        int calls = 200;
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            System.gc();
        }
        double ms = (System.nanoTime() - start) / 1e6 / calls;
        System.out.printf(Locale.ROOT, "%s: %.2f ms per System.gc()%n", used, ms);
        java.lang.ref.Reference.reachabilityFence(kept);
    }

    /** Uses what {@code used} names once; returns something to keep reachable, as a live buffer. */
    private static Object use(String used) throws Throwable {
        return switch (used) {
            case "allocateDirect" -> ByteBuffer.allocateDirect(4096).putLong(0, 1);
            case "ffm" -> {
                Linker linker = Linker.nativeLinker();
                MethodHandle malloc = linker.downcallHandle(linker.defaultLookup().find("malloc").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
                MethodHandle free = linker.downcallHandle(linker.defaultLookup().find("free").orElseThrow(),
                        FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
                long address = (long) malloc.invokeExact(4096L);
                MemorySegment.ofAddress(address).reinterpret(4096, Arena.global(), null).set(ValueLayout.JAVA_LONG, 0, 1);
                free.invokeExact(address);
                yield malloc;
            }
            case "nativemem" -> {
                NativeBuffer closed = NativeBuffer.allocateDirect(4096).putLong(0, 1);
                closed.close();
                NativeBuffer.allocateDirect(1 << 20).putLong(0, 1); // dropped: a GC frees it
                yield NativeBuffer.allocateDirect(4096).putLong(0, 1);
            }
            default -> throw new IllegalArgumentException("expected allocateDirect, ffm or nativemem: " + used);
        };
    }
}
