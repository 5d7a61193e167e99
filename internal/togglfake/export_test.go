package togglfake

// The fake's answers, named for the tests: the report path (PathPrefix + token) and the
// paging headers of Toggl's detailed search (toggl-api.md, "Paging").
const (
	PathPrefix          = "/reports/api/v3/shared/"
	HeaderPageSize      = "X-Page-Size"
	HeaderNextID        = "X-Next-ID"
	HeaderNextRowNumber = "X-Next-Row-Number"
	HeaderNextTimestamp = "X-Next-Timestamp"
)
