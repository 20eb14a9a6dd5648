package io.nativemem.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code nativemem} command: {@code demo} (the default), {@code churn}, {@code stats},
 * {@code --help}. A bad command line prints one line and exits with status 2; a demo that does
 * not end with an empty ledger exits with status 1.
 */
public final class Main {

    /**
     * The system property the library reads its limit from, once per process (see the README's
     * "The limit"); the command reads it too, to say where the limit came from.
     */
    static final String LIMIT_PROPERTY = "nativemem.maxMemory";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String command = args.length == 0 ? "demo" : args[0];
        List<String> rest = args.length == 0 ? List.of() : Arrays.asList(args).subList(1, args.length);
        try {
            switch (command) {
                case "demo" -> {
                    if (!Demo.run(rest, out)) {
                        return 1;
                    }
                }
                case "churn" -> Churn.run(rest, out);
                case ChurnWorker.COMMAND -> ChurnWorker.run(rest, out);
                case "stats" -> Info.stats(rest, out);
                case "--help", "-h", "help" -> Info.help(out);
                default -> throw new UsageException("unknown command '" + command
                        + "' (commands: demo, churn, stats; see nativemem --help)");
            }
            return 0;
        } catch (UsageException e) {
            err.println("nativemem: " + e.getMessage());
            return 2;
        }
    }
}
