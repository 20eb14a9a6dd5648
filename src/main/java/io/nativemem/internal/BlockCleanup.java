package io.nativemem.internal;

/** Frees one GC-managed block: when its buffer is closed, or when the GC found its scope unreachable. */
public final class BlockCleanup extends Cleanup {

    private final Ledger ledger;
    private final long address;
    private final long size;

    /**
     * Registers {@code address}, reserved in {@code ledger}, to be freed once {@code scope} is
     * unreachable, watched through {@code queue}; {@code scope} must not reference this cleanup.
     */
    public BlockCleanup(Object scope, long address, long size, Ledger ledger, ReclaimQueue queue) {
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
