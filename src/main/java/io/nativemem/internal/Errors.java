package io.nativemem.internal;

/**
 * Every exception the runtime throws is built here, so that the same mistake always reads the
 * same way and every message names the offending values.
 */
public final class Errors {

    private Errors() {
    }

    public static IllegalArgumentException invalidSize(String what, long value) {
        return new IllegalArgumentException("Invalid " + what + ": " + value + " (must be >= 0)");
    }

    public static IllegalArgumentException invalidAlignment(long alignment) {
        return new IllegalArgumentException("Invalid alignment: " + alignment + " (must be a power of two)");
    }

    public static IllegalArgumentException malformedLimit(String property, String value, String why) {
        return new IllegalArgumentException("Malformed system property " + property + "=\"" + value
                + "\" (" + why + "; expected bytes with an optional k, m, g or t suffix, e.g. 512m)");
    }

    public static OutOfMemoryError cannotReserve(long bytes, long allocated, long limit) {
        return new OutOfMemoryError("Cannot reserve " + bytes + " bytes of native memory (allocated: "
                + allocated + ", limit: " + limit + ")");
    }

    /** A release larger than all the ledger has charged: a runtime bug, caught before it changes anything. */
    public static IllegalStateException releaseExceedsCharged(long bytes, long blocks, long charged) {
        return new IllegalStateException("Ledger underflow: released bytes=" + bytes + " blocks=" + blocks
                + " exceed charged=" + charged);
    }

    /** Bytes returned to the ledger took its total below zero: a runtime bug. */
    public static IllegalStateException ledgerUnderflow(String what, long bytes, long blocks, long left) {
        return new IllegalStateException("Ledger underflow: " + what + " bytes=" + bytes + " blocks=" + blocks
                + " leave charged=" + left);
    }

    /** Overhead removed that was never added: a runtime bug. */
    public static IllegalStateException overheadUnderflow(long delta, long left) {
        return new IllegalStateException("Ledger underflow: overhead delta=" + delta + " leaves overhead=" + left);
    }

    public static OutOfMemoryError allocationFailed(String call, long bytes, long alignment) {
        return new OutOfMemoryError(call + " could not allocate " + bytes + " bytes (alignment: "
                + alignment + ")");
    }

    public static OutOfMemoryError slabAllocationFailed(long slabSize, long bytes, long alignment) {
        return new OutOfMemoryError("malloc could not allocate " + slabSize + " bytes (a slab for a block of " + bytes
                + " bytes, alignment: " + alignment + ")");
    }

    public static IllegalStateException alreadyClosed() {
        return new IllegalStateException("Already closed");
    }

    /** An allocation or a mapping asked of an arena that was closed; {@code kind} as "confined". */
    public static IllegalStateException arenaClosed(String kind) {
        return new IllegalStateException("Already closed: this " + kind + " arena was closed and allocates nothing more");
    }

    /**
     * An access to memory that was freed.
     *
     * @param how what freed it, e.g. "its confined arena was closed"
     * @param cause the JDK's own exception
     */
    public static IllegalStateException freed(String how, RuntimeException cause) {
        return new IllegalStateException("Already closed: the memory was freed (" + how + ")", cause);
    }

    public static WrongThreadException wrongThread(Thread owner) {
        return new WrongThreadException("Attempted access outside owning thread (owner: " + owner.getName()
                + ", current: " + Thread.currentThread().getName() + ")");
    }

    public static UnsupportedOperationException autoArenaClose() {
        return new UnsupportedOperationException("An automatic arena cannot be closed: the GC frees its memory");
    }

    public static IndexOutOfBoundsException outOfBounds(String what, long index, long length, long bound) {
        return new IndexOutOfBoundsException(what + " out of bounds: index=" + index + " length=" + length
                + " limit=" + bound);
    }

    public static IllegalArgumentException badCursor(String what, long value, long low, long high) {
        return new IllegalArgumentException("Invalid " + what + ": " + value + " (must be in [" + low + ", "
                + high + "])");
    }
}
