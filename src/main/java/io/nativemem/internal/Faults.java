package io.nativemem.internal;

import java.util.EnumMap;
import java.util.Map;

/**
 * Failure points in the pipeline, for tests: every step can be made to fail to check that the
 * steps before it are undone. Inert unless the JVM starts with
 * {@code -Dnativemem.faultInjection=true}: {@link #ENABLED} is a static final, so in a normal run
 * the JIT folds every check away.
 */
public final class Faults {

    /** Whether faults can be injected in this JVM. */
    public static final boolean ENABLED = Boolean.getBoolean("nativemem.faultInjection");

    /** Where a fault can be injected. */
    public enum Point {
        /** libc returns NULL from malloc, calloc or posix_memalign. */
        ALLOCATE,
        /** An OutOfMemoryError while the block is wrapped in a segment, after it was allocated. */
        WRAP,
        /** mmap fails. */
        MAP,
        /** munmap fails (the mapping is then left as it is: nothing else can be done with it). */
        UNMAP,
        /** A RuntimeException out of a cleanup, after the memory was freed. */
        AFTER_FREE
    }

    private static final Map<Point, Integer> ARMED = new EnumMap<>(Point.class);

    private Faults() {
    }

    /**
     * Makes the next {@code times} passes through {@code point} fail.
     *
     * @throws IllegalStateException if the JVM was not started with fault injection enabled
     */
    public static void arm(Point point, int times) {
        if (!ENABLED) {
            throw new IllegalStateException("Start the JVM with -Dnativemem.faultInjection=true to inject faults");
        }
        synchronized (ARMED) {
            ARMED.put(point, times);
        }
    }

    /** Whether this pass through {@code point} must fail; always false unless enabled and armed. */
    static boolean fire(Point point) {
        if (!ENABLED) {
            return false;
        }
        synchronized (ARMED) {
            int left = ARMED.getOrDefault(point, 0);
            if (left <= 0) {
                return false;
            }
            ARMED.put(point, left - 1);
            return true;
        }
    }

    /** Throws the fault for {@code point} when it fires. */
    public static void check(Point point) {
        if (ENABLED && fire(point)) {
            if (point == Point.WRAP) {
                throw new OutOfMemoryError("injected fault: " + point);
            }
            throw new IllegalStateException("injected fault: " + point);
        }
    }
}
