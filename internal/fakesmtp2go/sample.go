package fakesmtp2go

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/relaykit/smtp2go/webhook"

	"github.com/relaykit/smtp2go"
)

// The story every sample tells: shop@example.com sent order 4711's shipping
// notice to jane@example.org and john@example.net through SMTP2GO on
// 24 March 2026, authenticated as an SMTP user.
const (
	sampleEmailID   = "1abc-0001"
	sampleMessageID = "<E1abc-0001@message-id.example>"
	sampleSubject   = "Order 4711 shipped"
	sampleSender    = "shop@example.com"
	sampleFromName  = "Example Shop"
	sampleAuth      = "smtp-user@example.com"
	sampleRcpt      = "jane@example.org"
	sampleOtherRcpt = "john@example.net"
	sampleMX        = "mx.example.org [192.0.2.7]"
	sampleSubmitter = "198.51.100.23" // the sender's server, which submitted the email
	sampleReader    = "198.51.100.42" // the recipient's device, which opened and clicked
	sampleBounced   = "no-such-user@example.org"
)

// sampleTime returns a fixed UTC time on 2026-03-24 (the day overflows into
// the next days for later events).
func sampleTime(day, hour, minute, sec, usec int) time.Time {
	return time.Date(2026, time.March, 24+day, hour, minute, sec, usec*1000, time.UTC)
}

// SampleEvent returns a realistic event of type t, as SMTP2GO would deliver
// it, always the same for one type: smtp2gotest.SampleEvent documents it.
func SampleEvent(t smtp2go.EventType) webhook.Event {
	ev := webhook.Event{Type: t, Fields: url.Values{}}
	if strings.HasPrefix(string(t), "sms_") {
		sms, ok := sampleSMS(t)
		if ok {
			ev.SMS = sms
		}
		return ev
	}
	if !slices.Contains(emailEvents, string(t)) {
		return ev
	}
	ev.EmailID = sampleEmailID
	ev.MessageID = sampleMessageID
	ev.Subject = sampleSubject
	ev.Sender = sampleSender
	ev.From = sampleSender // bare, as in the live capture; the name is in from_name
	ev.FromAddress = sampleSender
	ev.FromName = sampleFromName
	ev.Auth = sampleAuth
	ev.SendTime = sampleTime(0, 8, 23, 19, 52765)
	ev.Rcpt = sampleRcpt

	switch t {
	case smtp2go.EventProcessed:
		ev.Time = sampleTime(0, 8, 23, 19, 0)
		ev.Rcpt = ""
		ev.Recipients = []string{sampleRcpt, sampleOtherRcpt}
		ev.SrcHost = sampleSubmitter
	case smtp2go.EventDelivered:
		ev.Time = sampleTime(0, 8, 23, 21, 0)
		ev.Host = sampleMX
		ev.Message = "250 2.0.0 Ok: queued"
		ev.Context = "Unavailable"
	case smtp2go.EventOpen:
		ev.Time = sampleTime(0, 9, 41, 7, 0)
		ev.OpenedAt = ev.Time
		ev.SrcHost = sampleReader
		ev.UserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
		ev.ReadSecs = 15
		ev.Client = "Apple Mail"
		ev.ClientDevice = "Mobile"
		ev.ClientOS = "iOS"
		sampleGeoIP(&ev)
	case smtp2go.EventClick:
		ev.Time = sampleTime(0, 9, 42, 30, 0)
		ev.ClickedAt = ev.Time
		ev.URL = "https://example.com/orders/4711/tracking"
		ev.SrcHost = sampleReader
		ev.UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
		ev.Client = "Chrome"
		ev.ClientDevice = "Desktop"
		ev.ClientOS = "Windows"
		sampleGeoIP(&ev)
	case smtp2go.EventBounce:
		ev.Time = sampleTime(0, 8, 23, 22, 0)
		ev.Rcpt = sampleBounced
		ev.Host = sampleMX
		ev.Bounce = webhook.BounceHard
		ev.Message = "550 5.1.1 <" + sampleBounced + ">: Recipient address rejected: User unknown in virtual mailbox table"
		ev.Context = "RCPT TO:<" + sampleBounced + ">"
	case smtp2go.EventSpam:
		ev.Time = sampleTime(1, 7, 2, 11, 0)
		ev.Host = sampleMX
	case smtp2go.EventUnsubscribe:
		ev.Time = sampleTime(1, 7, 5, 48, 0)
		ev.SrcHost = sampleReader
		ev.UserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
	case smtp2go.EventResubscribe:
		ev.Time = sampleTime(2, 10, 14, 3, 0)
		ev.SrcHost = sampleReader
	case smtp2go.EventReject:
		ev.Time = sampleTime(0, 8, 23, 19, 0)
		ev.Rcpt = sampleBounced
		ev.Message = "Recipient address is on the suppression list (previous hard bounce)"
		ev.Context = "Unavailable"
	}
	return ev
}

func sampleGeoIP(ev *webhook.Event) {
	ev.GeoIPContinent = "Oceania"
	ev.GeoIPCountry = "New Zealand"
	ev.GeoIPCity = "Christchurch"
}

// sampleSMS returns the SMS details of a sample SMS event: a verification
// code sent by email-to-SMS to a fictional (555-01xx) number.
func sampleSMS(t smtp2go.EventType) (*webhook.SMSDetails, bool) {
	sms := &webhook.SMSDetails{
		DestinationNumber: "+12025550143",
		SourceNumber:      "+12025550100",
		SenderEmail:       sampleSender,
		EmailSubject:      "Your verification code",
		MessageContent:    "Your Example Shop verification code is 482913",
		MessageID:         "b5d1f0e4-9c2a-4a7e-8f31-0d6c2b9e7a14",
		ReceivedTimestamp: sampleTime(0, 8, 23, 19, 52765),
		Region:            "us",
	}
	submitted := sampleTime(0, 8, 23, 19, 812345)
	switch t {
	case smtp2go.EventSMSSending:
	case smtp2go.EventSMSSubmitted:
		sms.SubmittedTimestamp = submitted
	case smtp2go.EventSMSDelivered:
		sms.SubmittedTimestamp = submitted
		sms.StatusCode = 200
	case smtp2go.EventSMSFailed:
		sms.SubmittedTimestamp = submitted
		sms.RetryCount = 2
		sms.StatusCode = 30003 // the handset is unreachable
	case smtp2go.EventSMSRejected:
		sms.StatusCode = 21610 // the recipient has opted out
	default:
		return nil, false
	}
	return sms, true
}
