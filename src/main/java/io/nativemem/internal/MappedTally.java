package io.nativemem.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The live file mappings and the bytes they expose, for the stats.
 *
 * <p>Apart from {@link FileMapper} on purpose: reading the stats must not initialise the mapper,
 * whose seven downcall handles take a while to link. Measured: when the first reader of the
 * stats was the buffer-pool MXBean, registered during a GC requested under churn, linking them
 * there stalled the slow path long enough for 6 runs in 20 to end in {@code OutOfMemoryError}.
 */
public final class MappedTally {

    private static final AtomicLong COUNT = new AtomicLong();
    private static final AtomicLong BYTES = new AtomicLong();

    private MappedTally() {
    }

    /** How many mappings are live. */
    public static long count() {
        return COUNT.get();
    }

    /** The bytes live mappings expose (the requested lengths, not the page-rounded spans). */
    public static long bytes() {
        return BYTES.get();
    }

    static void mapped(long length) {
        COUNT.incrementAndGet();
        BYTES.addAndGet(length);
    }

    static void unmapped(long length) {
        COUNT.decrementAndGet();
        BYTES.addAndGet(-length);
    }
}
