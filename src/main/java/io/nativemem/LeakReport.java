package io.nativemem;

import java.util.List;

/**
 * A confined or shared arena that became unreachable without {@code close()}: the runtime's
 * cleaner freed its memory and reports it. See {@link NativeMemory#setLeakListener}.
 */
public final class LeakReport {

    private final String kind;
    private final long blocks;
    private final long bytes;
    private final List<StackTraceElement> createdAt;

    LeakReport(String kind, long blocks, long bytes, StackTraceElement[] createdAt) {
        this.kind = kind;
        this.blocks = blocks;
        this.bytes = bytes;
        this.createdAt = List.of(createdAt);
    }

    /**
     * {@code "confined"} or {@code "shared"}.
     *
     * @return {@code "confined"} or {@code "shared"}
     */
    public String kind() {
        return kind;
    }

    /**
     * How many blocks the arena still held.
     *
     * @return how many blocks the arena still held
     */
    public long blocks() {
        return blocks;
    }

    /**
     * Their total capacity in bytes.
     *
     * @return their total capacity in bytes
     */
    public long bytes() {
        return bytes;
    }

    /**
     * Where the arena was created, innermost frame first; empty unless leak detection recorded
     * it ({@code -Dnativemem.leakDetection=all}, or a sampled arena in the default mode).
     *
     * @return the creation stack
     */
    public List<StackTraceElement> createdAt() {
        return createdAt;
    }

    @Override
    public String toString() {
        return "LeakReport[kind=" + kind + " blocks=" + blocks + " bytes=" + bytes
                + (createdAt.isEmpty() ? "" : " createdAt=" + createdAt.get(0)) + "]";
    }
}
