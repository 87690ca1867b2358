from datetime import date

from freezegun import freeze_time

from odoo.tests import BaseCase, TransactionCase, tagged

from odoo.addons.mail_journey_automation.models.mail_journey_intent import INTENT_SELECTION
from odoo.addons.mail_journey_automation.tools.intent import (
    INTENTS,
    classify,
    is_automatic,
    return_date,
    strip_reply,
)

# a Wednesday
DATE = {"Date": "Wed, 04 Mar 2026 09:15:00 +0800"}
OUTLOOK = {**DATE, "X-Mailer": "Microsoft Outlook 16.0", "X-Auto-Response-Suppress": "All"}
EN_QUOTE = (
    "\n\nOn Tue, 3 Mar 2026 at 10:12, Anna Li <anna@brightpack.example> wrote:\n"
    "> Hi Tom,\n> Our price list is attached: 1,000 pcs from £0.35.\n"
    "> If you no longer wish to receive these emails, unsubscribe here."
)
ZH_QUOTE = (
    "\n\n------------------ 原始邮件 ------------------\n"
    '发件人: "王磊"<wanglei@minghui.example>;\n发送时间: 2026年3月3日(星期二) 上午10:12\n'
    "主题: 2026年价格表\n\n附件是价格表，1000个起订。\n\n如不希望再收到此类邮件，请点击退订。"
)


def intent_of(body, headers=None, subject="Re: Custom packaging"):
    return classify(subject, body, DATE if headers is None else headers)["intent"]


@tagged("post_install", "-at_install", "mail_journey")
class TestIntent(BaseCase):
    """The reply classifier of tools/intent.py, without a database."""

    def test_intents_english(self):
        cases = {
            "interested": "Sounds good, could we set up a call on Thursday?",
            "requirements": "We need 5,000 pcs of mailer boxes, 30 x 20 x 10 cm, kraft, by 15 April. Please quote.",
            "price": "Could you send me a quotation for the kraft boxes?",
            "question": "What is your minimum order quantity for printed tape?",
            "not_now": "Not interested right now, maybe in Q3.",
            "has_supplier": "Thanks, but we already have a packaging supplier we're happy with.",
            "wrong_person": "I'm not the right person, please contact buying@oak.example",
            "unsubscribe": "Please remove me from your mailing list.",
            "other": "Thanks!",
        }
        for expected, body in cases.items():
            with self.subTest(expected=expected):
                self.assertEqual(intent_of(body + EN_QUOTE, OUTLOOK), expected)

    def test_intents_chinese(self):
        cases = {
            "interested": "您好，我们对贵司的快递袋很感兴趣，可以寄几个样品吗？",
            "requirements": "我们需要飞机盒3000个，尺寸25*18*6cm，4月20日前交货，请报个价。",
            "price": "你好，麻烦发一份最新的价格表过来，谢谢。",
            "question": "请问起订量是多少？交期一般多久？",
            "not_now": "目前暂时不需要，下个月再联系吧。",
            "has_supplier": "我们已经有固定的供应商了，谢谢。",
            "wrong_person": "你找错人了，采购的事找张敏，邮箱zhangmin@example.com",
            "unsubscribe": "请不要再给我发邮件了。",
            "other": "收到，谢谢。",
        }
        for expected, body in cases.items():
            with self.subTest(expected=expected):
                self.assertEqual(intent_of(body + ZH_QUOTE), expected)

    def test_every_intent_is_a_selection_value(self):
        self.assertEqual([code for code, _label in INTENT_SELECTION], list(INTENTS))

    def test_requirements_win_over_a_price_question(self):
        body = (
            "We need 2000 units of 250ml bottles, budget around $1,500. How much would this cost?"
        )
        self.assertEqual(intent_of(body), "requirements")
        self.assertEqual(intent_of("How much would 250ml bottles cost?"), "price")

    def test_question_about_the_price_list_is_a_question(self):
        self.assertEqual(intent_of("请问价格表里的价格是出厂价还是含税价？"), "question")

    def test_header_rules(self):
        self.assertTrue(is_automatic({"Auto-Submitted": "auto-replied"}))
        self.assertTrue(is_automatic({"auto-submitted": "auto-generated"}))
        self.assertFalse(is_automatic({"Auto-Submitted": "no"}))
        self.assertTrue(is_automatic({"X-Autoreply": "yes"}))
        self.assertTrue(is_automatic({"X-Autorespond": "Thanks"}))
        for precedence in ("auto_reply", "bulk", "junk"):
            self.assertTrue(is_automatic({"Precedence": precedence}))
        self.assertFalse(is_automatic({"Precedence": "list"}))
        self.assertTrue(
            is_automatic({"Content-Type": "multipart/report; report-type=delivery-status"})
        )
        # Outlook sends it on ordinary mails
        self.assertFalse(is_automatic({"X-Auto-Response-Suppress": "All"}))

    def test_automatic_answers(self):
        auto = {**DATE, "Auto-Submitted": "auto-replied"}
        ooo = "I am out of the office until Monday 16 March with limited access to email."
        self.assertEqual(intent_of(ooo, auto, "Automatic reply: Custom packaging"), "out_of_office")
        ticket = "Your request has been received and a ticket (#48213) has been created."
        self.assertEqual(intent_of(ticket, auto, "[Ticket #48213] Custom packaging"), "auto_reply")
        # the same words without any automatic sign are not an absence notice
        self.assertNotEqual(
            intent_of("We were out of the office, sorry. Send samples."), "out_of_office"
        )
        receipt = {**DATE, "Content-Type": "multipart/report; report-type=disposition-notification"}
        self.assertEqual(
            intent_of("Your message was read on 4 March.", receipt, "Read: x"), "auto_reply"
        )
        qq = "这是来自QQ邮箱的假期自动回复邮件。您好，我最近正在休假中，无法亲自回复您的邮件。"
        self.assertEqual(intent_of(qq, DATE, "自动回复: 定制包装方案"), "out_of_office")

    def test_unsubscribe_needs_an_explicit_request(self):
        self.assertEqual(intent_of("Unsubscribe me please." + EN_QUOTE), "unsubscribe")
        self.assertEqual(intent_of("退订"), "unsubscribe")
        # a quoted unsubscribe footer, a past unsubscription, "don't stop"
        self.assertEqual(intent_of("Thanks, noted." + EN_QUOTE), "other")
        self.assertEqual(intent_of("好的" + ZH_QUOTE), "other")
        self.assertEqual(
            intent_of("I unsubscribed from another list last week. What's your MOQ?"), "question"
        )
        self.assertEqual(
            intent_of("Please don't stop sending these, can we set up a call?"), "interested"
        )
        self.assertEqual(
            intent_of("我之前退订过别家的邮件，你们的有点兴趣，能寄样品吗？"), "interested"
        )
        self.assertNotEqual(intent_of("Don't stop sending me these updates!"), "unsubscribe")
        self.assertNotEqual(intent_of("我以前退订过，现在还想看新品。"), "unsubscribe")
        # a footer that lost its quote marker (pasted, or forwarded as text)
        footer = "Thanks.\nIf you no longer wish to receive these emails, unsubscribe here: https://x.example/u"
        self.assertEqual(intent_of(footer), "other")

    def test_strip_quotes_and_signatures(self):
        self.assertEqual(
            strip_reply("Send samples.\n\n-- \nTom\nT: 0113 496 0000" + EN_QUOTE), "Send samples."
        )
        self.assertEqual(
            strip_reply("Yes.\n\nSent from my iPhone\n\n> On 3 Mar, Anna wrote:"), "Yes."
        )
        self.assertEqual(
            strip_reply("OK\n-----Original Message-----\nFrom: Anna\nunsubscribe"), "OK"
        )
        self.assertEqual(strip_reply("好的\n\n-----原始邮件-----\n发件人：王磊\n退订"), "好的")
        self.assertEqual(strip_reply("好的" + ZH_QUOTE), "好的")
        exmail = "收到\n\n发件人：王磊\n发送时间：2026-03-03 10:12\n收件人：张伟\n\n退订请回复TD"
        self.assertEqual(strip_reply(exmail), "收到")
        chain = (
            "Adding Lucy.\n\nFrom: Tom Reed <tom@oak.example>\nSent: Tuesday, March 3, 2026\n"
            "To: Lucy\nSubject: FW: offer\n\nCan you look?\n\nFrom: Anna Li\nSent: Monday\n\noffer"
        )
        self.assertEqual(strip_reply(chain), "Adding Lucy.")
        self.assertEqual(
            strip_reply("Please quote.\n\nBest regards,\nTom\n120 pcs Ltd"), "Please quote."
        )
        # a reply that is only a sign-off is kept
        self.assertEqual(strip_reply("Thanks!\n"), "Thanks!")
        gmail_zh = "谢谢\n\n王磊 <w@m.example> 于2026年3月3日周二 10:12写道：\n> 退订"
        self.assertEqual(strip_reply(gmail_zh), "谢谢")

    def test_dates_against_the_date_header(self):
        ref = date(2026, 3, 4)  # Wednesday
        self.assertEqual(return_date("I'll be back on 12 March", ref), date(2026, 3, 12))
        self.assertEqual(return_date("returning March 12th", ref), date(2026, 3, 12))
        self.assertEqual(return_date("until 2027-03-12", ref), date(2027, 3, 12))
        self.assertEqual(return_date("3月12日回来", ref), date(2026, 3, 12))
        self.assertEqual(return_date("下周一再联系", ref), date(2026, 3, 9))
        self.assertEqual(return_date("let's talk next Monday", ref), date(2026, 3, 9))
        self.assertEqual(return_date("follow up in two weeks", ref), date(2026, 3, 18))
        self.assertEqual(return_date("下个月再说", ref), date(2026, 4, 1))
        self.assertEqual(return_date("maybe in Q3", ref), date(2026, 7, 1))
        # a date without a year before the message is next year's
        self.assertEqual(return_date("back on 2 March", ref), date(2027, 3, 2))
        # the return date beats the start of the absence
        self.assertEqual(return_date("4月3日至4月6日休假，4月7日回来", ref), date(2026, 4, 7))
        self.assertIsNone(return_date("no date here", ref))

    def test_return_date_of_a_classified_reply(self):
        result = classify(
            "Automatic reply: offer",
            "I am on annual leave and will be back on 13 April.",
            {"Date": "Wed, 01 Apr 2026 08:00:00 +0000", "Auto-Submitted": "auto-generated"},
        )
        self.assertEqual(result["intent"], "out_of_office")
        self.assertEqual(result["return_date"], date(2026, 4, 13))
        self.assertGreaterEqual(result["confidence"], 0.9)
        # Date header in December: January is next year
        result = classify(
            "Re: offer",
            "Please follow up on January 11th.",
            {"Date": "Mon, 14 Dec 2026 10:00:00 +0000"},
        )
        self.assertEqual((result["intent"], result["return_date"]), ("not_now", date(2027, 1, 11)))
        # no return date for other intents
        self.assertIsNone(
            classify("Re: offer", "Need 500 pcs by 12 March, 20x30 cm.", DATE)["return_date"]
        )

    @freeze_time("2026-11-20")
    def test_dates_against_today_without_date_header(self):
        result = classify("Re: offer", "现在不需要，下个月再联系。", {})
        self.assertEqual((result["intent"], result["return_date"]), ("not_now", date(2026, 12, 1)))
        result = classify("Re: offer", "Not now, please contact me again on 12 March.", {})
        self.assertEqual(result["return_date"], date(2027, 3, 12))

    def test_explicit_today(self):
        result = classify(
            "Re: offer", "Busy, try me again in two weeks.", {}, today=date(2026, 6, 1)
        )
        self.assertEqual(result["return_date"], date(2026, 6, 15))

    def test_referral(self):
        headers = {**DATE, "From": '"Tom" <tom@harlow.example>'}
        result = classify(
            "Re: offer",
            "I'm not the right person. Julie Moreau (J.Moreau@maisonverte.example) handles packaging now. "
            "My address tom@harlow.example stays for HR." + EN_QUOTE,
            headers,
        )
        self.assertEqual(result["intent"], "wrong_person")
        self.assertEqual(result["referral_email"], "j.moreau@maisonverte.example")
        result = classify("Re: offer", "你好，我不负责采购，请联系刘洋 liuyang@example.cn。", DATE)
        self.assertEqual(
            (result["intent"], result["referral_email"]), ("wrong_person", "liuyang@example.cn")
        )
        # the sender's own address, or no address, is no referral
        result = classify(
            "Re: offer", "Wrong person, I'm in marketing. tom@harlow.example", headers
        )
        self.assertEqual((result["intent"], result["referral_email"]), ("wrong_person", None))

    def test_confidence_is_lower_for_weak_cues(self):
        strong = classify("Re: x", "Please unsubscribe me and stop emailing me.", DATE)[
            "confidence"
        ]
        weak = classify("Re: x", "Thanks", DATE)["confidence"]
        self.assertGreater(strong, weak)
        self.assertTrue(0 <= weak <= 1 and 0 <= strong <= 1)


@tagged("post_install", "-at_install", "mail_journey")
class TestIntentModel(TransactionCase):
    """The mail.journey.intent entry point."""

    def test_classify_list_in_list_out(self):
        classifier = self.env["mail.journey.intent"]
        self.assertEqual(classifier.classify([]), [])
        results = classifier.classify(
            [
                {"subject": "Re: offer", "body": "Please send a quotation.", "headers": DATE},
                {
                    "subject": "自动回复: 定制包装方案",
                    "body": "您好，我出差中，3月16日回来后回复您的邮件。",
                    "headers": {**DATE, "Auto-Submitted": "auto-replied"},
                },
                {
                    "subject": "Re: offer",
                    "body": "Not my department. Try ops@nordic.example",
                    "headers": {},
                },
                {"subject": "", "body": "", "headers": {}},
            ]
        )
        self.assertEqual(len(results), 4)
        self.assertEqual(
            results[0],
            {
                "intent": "price",
                "confidence": results[0]["confidence"],
                "return_date": False,
                "referral_email": False,
            },
        )
        self.assertEqual(results[1]["intent"], "out_of_office")
        self.assertEqual(results[1]["return_date"], date(2026, 3, 16))
        self.assertEqual(results[2]["referral_email"], "ops@nordic.example")
        self.assertEqual(results[3]["intent"], "other")
        codes = dict(INTENT_SELECTION)
        self.assertTrue(all(r["intent"] in codes and 0 <= r["confidence"] <= 1 for r in results))
