package inventory

// accessLogRetention is shared by every access-log field: the files are
// removed whole, so their fields cannot live longer than each other.
var accessLogRetention = Retention{
	Key:  "access_log",
	Days: 90,
	Rule: "until the raw log files are deleted, after the number of days the operator configures (90 by default, or never if the operator chooses); only aggregate counts are kept after that",
}

// accessLogItems declares the fields of every access-log line (C1). The log
// never holds an account, session, cookie or e-mail (C2), so none is listed.
func accessLogItems() []Item {
	staff := []Audience{Security, Admin}
	field := func(name, label string) Item {
		return Item{
			Kind: LogField, Name: name, Personal: true, Category: Network,
			Label:     label,
			Purpose:   "to count visits in aggregate, troubleshoot the site and investigate misuse",
			Origin:    "sent by your browser with every request",
			Visible:   staff,
			Retention: accessLogRetention,
		}
	}
	return []Item{
		field("client_ip", "the IP address your request came from (the forwarded address when it passes a proxy the operator trusts)"),
		field("time", "the date and time of the request"),
		field("request", "the method and address of the page requested"),
		field("status", "the response status code"),
		field("bytes", "the size of the response"),
		field("referrer", "the page that linked to this one, if your browser sends it"),
		field("user_agent", "your browser's user-agent string, from which the browser, its version and the operating system can be read"),
	}
}
