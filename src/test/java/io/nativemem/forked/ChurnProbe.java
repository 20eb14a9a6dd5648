package io.nativemem.forked;

import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;
import io.nativemem.testing.LedgerBalanceExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * GC-managed churn for {@code ChurnTest}: threads allocate buffers and drop them at once, so only
 * the GC gives memory back. Arguments: threads, seconds, and a size in bytes or {@code random}
 * (1 byte to 1 MiB). Prints {@code done allocations=N ooms=N gcRequests=N}, then, once the ledger
 * emptied (or 10 s passed), {@code final} and the ledger's stats.
 */
public final class ChurnProbe {

    public static void main(String[] args) throws InterruptedException {
        int threads = Integer.parseInt(args[0]);
        long end = System.nanoTime() + (long) (Double.parseDouble(args[1]) * 1e9);
        boolean random = args[2].equals("random");
        int size = random ? 0 : Integer.parseInt(args[2]);
        LongAdder allocations = new LongAdder();
        LongAdder ooms = new LongAdder();
        // No stats are read before the churn on purpose: the first read used to initialise the
        // file mapper's downcall handles, and when that happened in the middle of the churn
        // instead (from the buffer-pool MXBean, registered on the first GC.run), it stalled the
        // slow path into OutOfMemoryErrors. MappedTally keeps the stats apart from the mapper.
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().name("churn-" + t).start(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (System.nanoTime() < end) {
                    try {
                        NativeBuffer.allocateDirect(random ? 1 + rnd.nextInt(1 << 20) : size).put(0, (byte) 1);
                        allocations.increment();
                    } catch (OutOfMemoryError e) {
                        ooms.increment();
                    }
                }
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }
        System.out.println("done allocations=" + allocations.sum() + " ooms=" + ooms.sum()
                + " gcRequests=" + NativeMemory.stats().gcRequests());
        System.out.println("final " + LedgerBalanceExtension.Ledger.awaitEmpty());
    }
}
