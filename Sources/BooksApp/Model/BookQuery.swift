/// Filters, sorting and paging for GET /books, already validated.
struct BookQuery: Sendable, Equatable {
    var skip = 0
    var limit = 1000
    /// Sort keys, most significant first: `sortasc`, then `sortdesc` (at most one of each).
    var sort: [BookSort] = []
    var author: String?
    var read: Bool?
    /// Case-insensitive substring of title or author.
    var text: String?
    var yearFrom: Int64?
    var yearTo: Int64?
    /// The client's `Prefer: count=`; nil: the store's default (exact, or on MongoDB the
    /// collection's metadata count for an unfiltered list).
    var count: CountPreference?
    /// Keyset paging (`cursor=`): pages start after `after` (nil: from the start), and the store
    /// returns the cursor of a full page's last item. Never with `skip`, and at most one sort key.
    var keyset = false
    var after: PageCursor?

    var hasFilters: Bool { author != nil || read != nil || text != nil || yearFrom != nil || yearTo != nil }
}

struct BookSort: Sendable, Equatable {
    var field: BookSortField
    var ascending: Bool
}

/// The fields a list can be sorted by. Ties break on `id`, in the same direction, so pages are stable.
enum BookSortField: String, CaseIterable, Sendable {
    case id, title, author, year, score, read
}
