import BooksApp

// The executable is only this: everything else is the BooksApp library, which the tests and
// the fuzzers build against.
Command.run(Array(CommandLine.arguments.dropFirst()))
