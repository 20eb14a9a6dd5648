package io.nativemem;

import io.nativemem.internal.FileMapper;
import io.nativemem.internal.Ledger;

/**
 * The process-wide limit and the ledger's counters.
 *
 * <p>The limit is read once, from the system property {@code nativemem.maxMemory}: bytes with an
 * optional {@code k}/{@code m}/{@code g}/{@code t} suffix in any case, like
 * {@code -XX:MaxDirectMemorySize}. Unset, it is {@code Runtime.getRuntime().maxMemory()}, as in
 * the JDK. Every arena kind and every GC-managed buffer counts against it; mapped files do not.
 */
public final class NativeMemory {

    private NativeMemory() {
    }

    /**
     * The limit on the total capacity of live blocks.
     *
     * @return the limit in bytes
     * @throws IllegalArgumentException naming the property and its value, if it is malformed
     */
    public static long maxMemory() {
        return Ledger.global().limit();
    }

    /**
     * A snapshot of the ledger.
     *
     * @return the counters now
     * @throws IllegalArgumentException naming the property and its value, if the limit is malformed
     */
    public static MemoryStats stats() {
        return MemoryStats.of(Ledger.global().snapshot(FileMapper.mappedCount(), FileMapper.mappedBytes()));
    }
}
