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

    static long capacity(Ledger ledger) {
        return ledger.snapshot(0, 0).totalCapacity();
    }
}
