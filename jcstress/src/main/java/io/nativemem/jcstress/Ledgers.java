package io.nativemem.jcstress;

import io.nativemem.internal.Ledger;

/** Private ledgers for the stress tests: no native memory, no GC, nothing shared between tests. */
final class Ledgers {

    private Ledgers() {
    }

    static Ledger holding(long limit, long held) {
        Ledger ledger = new Ledger(limit, Ledger.Reclaimer.NONE);
        if (held > 0 && !ledger.tryReserve(held)) {
            throw new IllegalStateException("cannot hold " + held + " of " + limit);
        }
        if (held > 0) {
            ledger.commit(held);
        }
        return ledger;
    }

    /** A ledger with {@code stripes} stripes of credit and batches of {@code batch} bytes. */
    static Ledger striped(long limit, int stripes, long batch) {
        return new Ledger(limit, Ledger.Reclaimer.NONE, stripes, batch);
    }

    /** Reserves and commits {@code bytes} through stripe {@code stripe}, as an allocation would. */
    static void take(Ledger ledger, int stripe, long bytes) {
        if (!ledger.tryReserve(stripe, bytes)) {
            throw new IllegalStateException("cannot take " + bytes + " through stripe " + stripe);
        }
        ledger.commit(bytes);
    }

    static long capacity(Ledger ledger) {
        return ledger.snapshot(0, 0).totalCapacity();
    }

    /** The capacity in use, or -1 if the total charged (credit included) is over the limit. */
    static long capacityWithinLimit(Ledger ledger) {
        return ledger.charged() <= ledger.limit() ? capacity(ledger) : -1;
    }
}
