package io.nativemem.internal;

/** Frees one GC-managed block: when its buffer is closed, or when the GC found its scope unreachable. */
public final class BlockCleanup extends Cleanup {

    private final Reservations ledger;
    private final long address;
    private final long size;

    /** Registers {@code address} to be freed once {@code scope} is unreachable; must not be referenced by it. */
    public BlockCleanup(Object scope, long address, long size) {
        this(scope, address, size, Ledger.global(), ReclaimQueue.global());
    }

    /**
     * As {@link #BlockCleanup(Object, long, long)}, for a block reserved in {@code ledger}, watched
     * through {@code queue}: the stress tests' own ledger and queue.
     */
    public BlockCleanup(Object scope, long address, long size, Reservations ledger, ReclaimQueue queue) {
        super(scope, queue);
        this.ledger = ledger;
        this.address = address;
        this.size = size;
    }

    @Override
    protected long free(boolean byGc) {
        NativeBlocks.free(ledger, address, size, byGc);
        Faults.check(Faults.Point.AFTER_FREE);
        return size;
    }
}
