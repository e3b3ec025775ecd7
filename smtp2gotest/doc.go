// Package smtp2gotest runs a fake SMTP2GO on loopback, for testing code that
// uses package smtp2go (or any other SMTP2GO client) without the network or an
// account: both the webhook API, which manages webhooks, and the deliveries
// SMTP2GO then POSTs to them. Like net/http/httptest, it is a real HTTP
// server, not a mock of the SDK's interfaces:
//
//	func TestProvision(t *testing.T) {
//		srv := smtp2gotest.NewServer(t) // closed when the test ends
//		client := srv.Client()          // an *smtp2go.Client pointed at srv
//
//		srv.Fail("webhook/view", smtp2gotest.Fault{Status: 503, Times: 2})
//		if err := provision(context.Background(), client); err != nil {
//			t.Fatal(err)
//		}
//		if got := srv.Webhooks(); len(got) != 1 {
//			t.Fatalf("webhooks = %v, want one", got)
//		}
//	}
//
// # What it does like SMTP2GO
//
// It serves POST /v3/webhook/add, /v3/webhook/view, /v3/webhook/edit and
// /v3/webhook/remove with SMTP2GO's envelope, {"request_id": "<uuid>",
// "data": ...}, and its error bodies, {"request_id": ..., "data": {"error":
// ..., "error_code": ..., "field_validation_errors": {"fieldname": ...,
// "message": ...}}}. It accepts the API key in the X-Smtp2go-Api-Key header,
// as an Authorization bearer token or as the api_key member of the body, and
// answers 401 without it. Other paths answer 404, other methods 405, bodies
// over 1 MB 413. Each subaccount_id has its own webhooks; IDs are integers
// from one counter, starting at 1001. Each account may have 10 webhooks
// ([WithWebhookLimit]).
//
// Validation is what SMTP2GO documents: a missing url (add) or id (edit,
// remove) answers 400 with E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD; a
// member of the wrong JSON type (an id that is not an integer, a list that is
// not an array of strings), an empty url, output_format other than form or
// json, auth_header_type other than bearer, basic or "", or an unknown id
// answers 400 with E_ApiResponseCodes.INVALID_IN_PAYLOAD. A body that is not
// a JSON object answers 400 with NON_VALIDATING_IN_PAYLOAD. Unknown members
// are ignored, and unknown event names dropped, as SMTP2GO reportedly does.
// Anything else is stored as sent, such as a URL that is not http or a
// bearer type without a value: checking it is the client's job.
//
// # Where it has to guess
//
// SMTP2GO leaves some behaviour undocumented; the fake's choices are:
//
//   - webhook/edit sets every field it is not sent (or sent as null), the url
//     aside, back to what webhook/add stores without it, as another of
//     SMTP2GO's edit endpoints does with lists; [WithEditKeepingOmitted]
//     keeps them instead.
//   - webhook/remove answers the removed webhook, as the reference documents
//     (a live client has seen no data).
//   - auth_header_value is stored and answered in clear;
//     [WithMaskedAuthValues] answers it masked.
//   - Exceeding the webhook limit answers 400 with
//     E_ApiResponseCodes.API_EXCEPTION.
//   - Bodies over 1 MB answer 413 (SMTP2GO documents the limit, not its
//     status). 401, 404 and 405 answers carry an error but no error_code.
//
// SMTP2GO's documented and live variants are options, so that a client can
// be tested against each: the three shapes of webhook/view ([WithViewShape]),
// lists answered as strings ([WithStringLists]), masked auth values
// ([WithMaskedAuthValues]) and the plans' webhook limits
// ([WithWebhookLimit]).
//
// The fake keeps its own model of SMTP2GO's wire format, written from
// SMTP2GO's documentation: it stores webhooks as the JSON members and values
// the API documents, not as smtp2go.Webhook values, and applies none of the
// SDK's rules, so that a test of the SDK against it shows what the SDK sends
// and how it reads the answers. [Server.Webhooks] converts them for
// assertions.
//
// The same fake runs outside Go tests as "smtp2go-webhooks fake", for
// trying the command line and for tests written in other languages.
//
// # Failures
//
// [Server.Fail] queues faults per endpoint: error statuses with SMTP2GO's or
// a proxy's bodies, Retry-After, empty and malformed bodies, delays past the
// client's timeout, and connections dropped before or after the request is
// carried out. [Server.DenyEndpoint] makes an endpoint answer the permission
// error. [Server.Requests] reports what was received and answered, with API
// keys redacted.
//
// # Deliveries
//
// [Server.Emit] plays SMTP2GO's side of a webhook: it POSTs an event to every
// webhook registered on the fake that subscribes to it, waits until each
// delivery has succeeded or run out of redeliveries, and reports each
// attempt. No subscribed webhook means no delivery, and no error. Point a
// webhook at the endpoint under test and emit realistic events from
// [SampleEvent]:
//
//	func TestReceive(t *testing.T) {
//		srv := smtp2gotest.NewServer(t)
//		endpoint := httptest.NewServer(myWebhookHandler)
//		defer endpoint.Close()
//		srv.Client().Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{
//			URL: endpoint.URL, Events: []smtp2go.EventType{smtp2go.EventBounce},
//		})
//		ds, err := srv.Emit(ctx, smtp2gotest.SampleEvent(smtp2go.EventBounce))
//		if err != nil || !ds[0].OK() {
//			t.Fatalf("deliveries %+v, %v", ds, err)
//		}
//	}
//
// Deliveries are as SMTP2GO documents them: one POST per event and webhook,
// the body form-encoded (the default) or JSON as the webhook's output_format
// says, with the field names SMTP2GO sends ("message-id", "read-secs",
// "sms_delivered"…), the header-cased Message-Id and Subject repeated in form
// bodies, each custom header the webhook lists that the event carries, and a
// 32-hex-digit "id" kept on redeliveries. The Authorization header is the
// webhook's bearer or basic value, or Basic from user:password@ in its URL.
// A non-2xx answer, a transport error or no response headers within 10
// seconds ([WithDeliveryTimeout]) is a failure, delivered again on a
// compressed schedule ([WithRedeliverySchedule]); [Server.Deliveries] lists
// every attempt. Close abandons deliveries in flight.
//
// The fake's guesses here: the time formats of opened-at, clicked-at and the
// SMS timestamps, and the JSON types (read-secs, retry_count and status_code
// are numbers, the rest strings); redirects are not followed; the
// User-Agent is the fake's own.
//
// [Deliver] makes one delivery to any URL without a fake API, as the "Test"
// button of SMTP2GO's App does.
package smtp2gotest
