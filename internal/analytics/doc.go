// Package analytics turns web server access logs into aggregate usage
// trends: requests and unique visitors per day, pages, status codes,
// browsers, operating systems, referring sites, hours of day and bots.
//
// It reads nginx/Apache "combined" and "common" log lines (plenary's own
// access log is combined), plain or gzip-compressed, streams them through a
// pool of workers that each fill a partial aggregate, and merges the partials
// at the end. Memory grows with the number of distinct keys kept (days,
// visitors per day, and capped top-N tables), never with the size of the input.
//
// Privacy (promise U1): a report holds aggregates only. Client addresses and
// user-agent strings are never copied into a report; a unique visitor is only
// ever a keyed hash of address and user agent, with a random key per day that
// is thrown away once the day is aggregated, so the hashes cannot be linked
// back to an address or across days.
package analytics
