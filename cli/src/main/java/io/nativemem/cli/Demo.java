package io.nativemem.cli;

import io.nativemem.MappedNativeBuffer;
import io.nativemem.MemoryStats;
import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/** {@code demo}: each part of nativemem at work, with the ledger after every step. */
final class Demo {

    private final PrintStream out;
    private Table table;

    private Demo(PrintStream out) {
        this.out = out;
    }

    /**
     * Runs every step and ends with the ledger.
     *
     * @return whether the ledger is back to zero: every block the demo allocated freed exactly once
     */
    static boolean run(List<String> args, PrintStream out) throws UsageException {
        Options options = Options.parse("demo", args, Set.of("limit"));
        long limit = options.bytes("limit", 64L << 20);
        if (limit < (16L << 20) || limit > (1L << 30)) {
            throw new UsageException("--limit " + options.text("limit", "") + ": the demo takes 16m to 1g");
        }
        // The limit is read once, at the first allocation: set it before anything allocates.
        System.setProperty(Main.LIMIT_PROPERTY, Long.toString(limit));
        Demo demo = new Demo(out);
        demo.confined();
        demo.shared();
        demo.gcManaged();
        demo.exhausted();
        demo.mapped();
        out.println();
        return demo.verdict();
    }

    /**
     * Every step closed what it allocated, and the GC-managed step waited until the GC had freed
     * its buffers: the ledger must now be back to zero. Anything else is a runtime bug (or memory
     * that someone else holds), and the demo says so instead of claiming success.
     */
    private boolean verdict() {
        MemoryStats end = NativeMemory.stats();
        if (end.count() == 0 && end.totalCapacity() == 0 && end.reservedMemory() == 0) {
            out.println("Done: every block freed exactly once (live blocks 0, capacity 0).");
            return true;
        }
        out.println("Not done: the ledger is not back to zero after the demo (live blocks " + end.count()
                + ", capacity " + Table.bytes(end.totalCapacity()) + ", reserved " + Table.bytes(end.reservedMemory())
                + "): a block was freed twice or never.");
        return false;
    }

    private void step(String title) {
        out.println();
        out.println(title);
        table = new Table("moment", "live blocks", "capacity", "limit", "peak", "freed explicitly", "freed by GC",
                "GCs requested", "mappings");
    }

    private void snapshot(String moment) {
        MemoryStats s = NativeMemory.stats();
        table.row(moment, s.count(), Table.bytes(s.totalCapacity()), Table.bytes(s.maxMemory()),
                Table.bytes(s.peakReservedMemory()), s.freedExplicitly(), s.freedByGc(), s.gcRequests(),
                s.mappedCount() + " (" + Table.bytes(s.mappedMemory()) + ")");
    }

    private void confined() {
        step("1. A confined arena: zeroed buffers for one thread, all freed by close()");
        try (NativeArena arena = NativeArena.ofConfined()) {
            NativeBuffer header = arena.allocateBuffer(4096);
            NativeBuffer page = arena.allocateBuffer(64 << 10, 4096);
            NativeBuffer body = arena.allocateBuffer(1 << 20);
            header.putInt(42).putLong(body.capacity()).flip();
            out.println("   wrote and read back " + header.getInt() + " and " + header.getLong()
                    + "; the 64 KiB buffer is 4096-aligned: " + (page.address() % 4096 == 0)
                    + "; fresh memory reads zero: " + (body.getLong(body.capacity() - 8) == 0));
            snapshot("arena open");
        }
        snapshot("after close()");
        table.print(out);
    }

    private void shared() {
        step("2. A shared arena: 4 threads allocate 100 buffers of 16 KiB each, any thread may close it");
        try (NativeArena arena = NativeArena.ofShared()) {
            AtomicLong written = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < 100; i++) {
                        NativeBuffer buffer = arena.allocateBuffer(16 << 10);
                        buffer.putLong(0, i);
                        written.addAndGet(buffer.capacity());
                    }
                });
                threads.add(thread);
                thread.start();
            }
            join(threads);
            out.println("   " + Table.bytes(written.get()) + " written by 4 threads");
            snapshot("4 threads done");
        }
        snapshot("after close()");
        table.print(out);
    }

    private void gcManaged() {
        step("3. GC-managed buffers: 2000 x 64 KiB (125 MiB, twice the limit), each dropped at once");
        long before = NativeMemory.stats().count();
        for (int i = 0; i < 2000; i++) {
            NativeBuffer.allocateDirect(64 << 10).putLong(0, i);
        }
        snapshot("2000 allocated");
        LiveBlocks.awaitAtMost(before, Duration.ofSeconds(10));
        snapshot("after a GC");
        out.println("   when the limit was reached, the allocating thread freed what the GC had found unreachable");
        table.print(out);
    }

    private void exhausted() {
        step("4. An exhausted limit: a held arena takes all but 1 MiB, then 2 MiB are asked for");
        long limit = NativeMemory.maxMemory();
        try (NativeArena arena = NativeArena.ofConfined()) {
            arena.allocate(limit - (1 << 20), 16);
            snapshot("arena holds limit - 1 MiB");
            long start = System.nanoTime();
            try {
                NativeBuffer.allocateDirect(2 << 20);
                out.println("   unexpected: the allocation succeeded");
            } catch (OutOfMemoryError e) {
                out.printf("   after %d ms of GC-assisted retries: OutOfMemoryError: %s%n",
                        (System.nanoTime() - start) / 1_000_000, e.getMessage());
            }
        }
        snapshot("after close()");
        table.print(out);
    }

    private void mapped() {
        step("5. A mapped file: 8 MiB, mapped at an unaligned offset, written, forced, read back");
        Path file = null;
        try {
            file = Files.createTempFile("nativemem-demo", ".bin");
            try (NativeArena arena = NativeArena.ofConfined()) {
                MappedNativeBuffer mapped = arena.map(file, FileChannel.MapMode.READ_WRITE, 1000, 8 << 20);
                mapped.putLong(0, 0x6E61746976656DL);
                mapped.force();
                ByteBuffer back = ByteBuffer.allocate(8);
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                    channel.read(back, 1000);
                }
                out.println("   the file grew to " + Files.size(file) + " bytes; read back through FileChannel: "
                        + (back.getLong(0) == 0x6E61746976656DL ? "the same 8 bytes" : "DIFFERENT bytes"));
                snapshot("mapped");
            }
            snapshot("after close()");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteQuietly(file);
        }
        table.print(out);
    }

    private static void deleteQuietly(Path file) {
        try {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            // a temporary file left behind is not worth failing the demo for
        }
    }

    private static void join(List<Thread> threads) {
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

}
