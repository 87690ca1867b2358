"""Build the labelled reply sets ``dev.jsonl`` and ``holdout.jsonl`` from the
hand-written replies in ``src/*.txt``.

Each entry of a source file is the new text of one reply (or the whole body
of an automatic answer) with its labels::

    %% <intent> <lang> <client> <YYYY-MM-DD> [ret=YYYY-MM-DD] [ref=email] [chain]
    <subject, "-" for the client's "Re: <original subject>">
    <body ...>

This script only dresses each reply the way a mail client sends it: the
headers of the client (Outlook, Office 365, Gmail, iPhone, QQ邮箱, 网易163,
企业微信/腾讯企业邮, Foxmail, auto-responders, read and delivery receipts),
a signature, and the quoted original email (which carries the sales email's
unsubscribe footer) below the reply, or a forwarded chain. It is seeded:
running it again writes the same files. The labels are the source's.
"""

import json
import random
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).parent

SALES = {
    "en": ("Anna Li", "anna.li@brightpack.example"),
    "zh": ("王磊", "wanglei@minghui-pack.example"),
}
PEOPLE = {
    "en": [
        ("Tom Becker", "Purchasing Manager", "Harlow Foods", "harlowfoods.co.uk"),
        ("Lucy Grant", "Operations Lead", "Oak & Ash", "oakandash.co.uk"),
        ("Mark O'Brien", "Founder", "Greenleaf Cafe", "greenleafcafe.com"),
        ("Julie Moreau", "Head of Supply", "Maison Verte", "maisonverte.fr"),
        ("Erik Lund", "Buyer", "Nordic Brew", "nordicbrew.se"),
        ("Sarah Kent", "Category Manager", "Pinewood Home", "pinewoodhome.com"),
        ("Marco Rossi", "Procurement", "Bella Vita", "bellavita.it"),
        ("Priya Shah", "E-commerce Manager", "Pure Skin", "pureskin.co"),
    ],
    "zh": [
        ("张伟", "采购经理", "华强包装", "hqbz.com.cn"),
        ("李娜", "采购主管", "远大贸易", "yuanda-trade.com"),
        ("刘洋", "运营总监", "金辉食品", "jinhui-food.cn"),
        ("陈静", "总经理助理", "明峰电子", "mingfeng.com"),
        ("赵磊", "供应链经理", "华新包装", "huaxin-pack.com"),
        ("周敏", "老板", "茶语茶业", "qq.com"),
        ("孙浩", "采购", "优品电商", "163.com"),
    ],
}
ORIGINALS = {
    "en": [
        (
            "Custom packaging for your brand",
            "Hi {first},\n\nI'm Anna from Brightpack. We make custom printed mailer boxes and bags for growing brands, with low minimums (from 500 pcs) and 10-day lead times.\n\nWould a 15-minute call next week make sense?\n\nBest regards,\nAnna Li\nSales Manager, Brightpack\n+44 20 7946 0321\n\nIf you no longer wish to receive these emails, you can unsubscribe here: https://brightpack.example/mail/unsubscribe/7f3a9c",
        ),
        (
            "Free samples of our eco mailers",
            "Hi {first},\n\nFollowing up on my last email: we'd be happy to send you free samples of our compostable mailers (25x35 cm and 35x45 cm). Just reply with a delivery address.\n\nAnna\n\nUnsubscribe: https://brightpack.example/mail/unsubscribe/7f3a9c",
        ),
        (
            "Our 2026 price list",
            "Hello {first},\n\nPlease find our 2026 price list attached. Prices start at £0.35 per unit for orders of 1,000 pcs, delivery within 2 weeks.\n\nLet me know if you have any questions!\n\nAnna Li | Brightpack\n\nDon't want these emails? Reply STOP or unsubscribe: https://brightpack.example/mail/unsubscribe/7f3a9c",
        ),
    ],
    "zh": [
        (
            "定制包装方案 - 明辉包装",
            "{first}您好：\n\n我是明辉包装的王磊，我们专业生产定制飞机盒、快递袋和礼盒，500个起订，7天交货。\n\n如有需要，欢迎随时联系我。\n\n王磊\n明辉包装 销售经理\n电话：0755-86001234\n\n如不希望再收到此类邮件，请点击退订：https://minghui-pack.example/mail/unsubscribe/88ab",
        ),
        (
            "环保快递袋免费样品",
            "{first}您好：\n\n上次给您发过邮件，我们可以免费寄送可降解快递袋样品（规格30*40cm、35*45cm），回复收货地址即可。\n\n王磊 | 明辉包装\n\n退订请回复TD",
        ),
        (
            "2026年价格表",
            "{first}您好：\n\n附件是我们2026年的最新价格表，1000个起订，单价0.35元起，两周内交货。有任何问题欢迎咨询。\n\n王磊\n明辉包装\n\n如不想再收到此类邮件，请点击这里取消订阅。",
        ),
    ],
}
SIGNATURES = {
    "en": [
        "-- \n{full}\n{title} | {company}\nT: +44 113 496 0{n3}\nwww.{domain}",
        "Best regards,\n{full}\n{company}",
        "Thanks,\n{first}",
        "Kind regards\n\n{full}\n{title}\n{company} | 12 Market Street, Leeds LS1 6DT\nM: 07700 900{n3}",
        "{first}\n\nSent from Outlook for iOS",
        "Cheers,\n{first}\n\n{full} · {title}\n{company} · {domain}",
    ],
    "zh": [
        "谢谢\n{full}\n{company} 采购部\n电话：0755-2{n3}88{n3}\n地址：深圳市南山区科技园南区12栋3楼",
        "祝好！\n{full}",
        "--\n{full} | {title}\n{company}\n手机：139{n3}{n3}22",
        "此致\n敬礼\n{full}",
        "发自我的iPhone",
        "{full}\n{company}\nTel: 021-6{n3}1{n3}  Fax: 021-6{n3}2{n3}",
    ],
}
REPLY_PREFIX = {
    "gmail": "Re: ",
    "outlook": "RE: ",
    "o365": "RE: ",
    "apple": "Re: ",
    "qq": "回复：",
    "163": "Re:",
    "wework": "回复: ",
    "foxmail": "回复：",
    "plain": "Re: ",
}
CLIENT_HEADERS = {
    "gmail": {},
    "outlook": {
        "X-Mailer": "Microsoft Outlook 16.0",
        "Thread-Index": "AQHaXk3rYz1bQ0pVTkq5u0ZCk1Y1Ag==",
        "X-MS-Has-Attach": "",
        "X-Auto-Response-Suppress": "All",
    },
    "o365": {
        "X-MS-Exchange-Organization-AuthAs": "Internal",
        "X-MS-Has-Attach": "",
        "X-Auto-Response-Suppress": "DR, RN, NRN, OOF, AutoReply",
    },
    "apple": {"X-Mailer": "iPhone Mail (21D61)"},
    "qq": {"X-QQ-mid": "xmsezb1a2b3c4d5e6f", "X-QQ-XMAILINFO": "NpEVEkCbMsLw"},
    "163": {"X-Mailer": "Coremail Webmail Server Version XT5.0.14", "X-CM-TRANSID": "_____wD3"},
    "wework": {"X-Mailer": "Tencent Exmail", "X-QQ-mid": "bizesmtp81t1700000000"},
    "foxmail": {"X-Mailer": "Foxmail 7.2.25.254"},
    "plain": {},
    "ooo_exchange": {
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "X-MS-Exchange-Inbox-Rules-Loop": "{email}",
    },
    "ooo_o365": {
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "X-MS-Exchange-Organization-AuthAs": "Internal",
    },
    "ooo_gmail": {"Auto-Submitted": "auto-replied"},
    "ooo_qq": {"X-QQ-mid": "xmsezb9z8y7x6w5v"},
    "ooo_163": {"Auto-Submitted": "auto-replied", "X-Mailer": "Coremail Webmail Server"},
    "ooo_wework": {"X-Autoreply": "yes", "X-Mailer": "Tencent Exmail"},
    "ooo_plain": {},
    "auto_ticket": {"Auto-Submitted": "auto-generated", "X-Mailer": "Zendesk Mailer"},
    "auto_xautoreply": {"X-Autoreply": "yes"},
    "auto_precedence": {"Precedence": "bulk"},
    "mdn": {
        "Content-Type": 'multipart/report; report-type=disposition-notification; boundary="b1"'
    },
    "dsn": {"Content-Type": 'multipart/report; report-type=delivery-status; boundary="b2"'},
}
# variants some auto-responders use instead
ALTERNATE_HEADERS = {
    "auto_ticket": {"Precedence": "auto_reply", "X-Mailer": "Freshdesk"},
    "auto_xautoreply": {"X-Autorespond": "Thank you for your message"},
    "auto_precedence": {"Precedence": "junk"},
}


def quote_block(client, lang, rng, sent, sales, person, original, orig_subject):  # noqa: PLR0911
    """Return the original email quoted the way ``client`` quotes it."""
    sales_name, sales_email = sales
    full, _title, _company, _domain, email = person
    when_en = sent.strftime("%A, %B %-d, %Y %-I:%M %p")
    when_zh = f"{sent.year}年{sent.month}月{sent.day}日 {sent:%H:%M}"
    prefixed = "\n".join(f"> {line}" if line else ">" for line in original.split("\n"))
    if client == "gmail":
        if lang == "zh":
            head = f"{sales_name} <{sales_email}> 于{sent.year}年{sent.month}月{sent.day}日周{'一二三四五六日'[sent.weekday()]} {sent:%H:%M}写道："
        else:
            head = f"On {sent:%a}, {sent.day} {sent:%b} {sent.year} at {sent:%H:%M}, {sales_name} <{sales_email}> wrote:"
        return f"{head}\n{prefixed}"
    if client == "apple":
        return f"> On {sent.day} {sent:%b} {sent.year}, at {sent:%H:%M}, {sales_name} <{sales_email}> wrote:\n>\n{prefixed}"
    if client in ("outlook", "o365") and lang != "zh":
        line = (
            "________________________________"
            if client == "outlook"
            else "-----Original Message-----"
        )
        return f"{line}\nFrom: {sales_name} <{sales_email}>\nSent: {when_en}\nTo: {full} <{email}>\nSubject: {orig_subject}\n\n{original}"
    if client in ("outlook", "o365"):
        return f"________________________________\n发件人: {sales_name} <{sales_email}>\n发送时间: {when_zh}\n收件人: {full} <{email}>\n主题: {orig_subject}\n\n{original}"
    if client == "qq":
        return f'------------------ 原始邮件 ------------------\n发件人: "{sales_name}"<{sales_email}>;\n发送时间: {sent.year}年{sent.month}月{sent.day}日(星期{"一二三四五六日"[sent.weekday()]}) 上午{sent:%H:%M}\n收件人: "{full}"<{email}>;\n主题: {orig_subject}\n\n{original}'
    if client == "163":
        return f'在 {sent:%Y-%m-%d %H:%M:%S}，"{sales_name}" <{sales_email}> 写道：\n{original}'
    if client == "wework":
        return f"发件人：{sales_name}\n发送时间：{sent:%Y-%m-%d %H:%M}\n收件人：{full}\n主题：{orig_subject}\n\n{original}"
    if client == "foxmail":
        return f"-----原始邮件-----\n发件人：{sales_name} <{sales_email}>\n发送时间：{sent:%Y-%m-%d %H:%M}\n收件人：{full}\n主题：{orig_subject}\n\n{original}"
    return ""


def chain_block(lang, rng, sent, sales, person, original, orig_subject):
    """Return a forwarded chain: a colleague's forward note above the
    original, each under its own header block."""
    sales_name, sales_email = sales
    full, _title, _company, domain, email = person
    if lang == "zh":
        note = "这个你看一下，我们是不是需要？"
        return (
            f"发件人：周总 <zhou@{domain}>\n发送时间：{sent + timedelta(hours=2):%Y-%m-%d %H:%M}\n收件人：{full}\n主题：转发：{orig_subject}\n\n{note}\n\n"
            f"-----原始邮件-----\n发件人：{sales_name} <{sales_email}>\n发送时间：{sent:%Y-%m-%d %H:%M}\n主题：{orig_subject}\n\n{original}"
        )
    note = "Can you take a look at this? Might be useful for the autumn orders. We need to stop using plastic anyway."
    return (
        f"________________________________\nFrom: Tom Reed <tom.reed@{domain}>\nSent: {sent + timedelta(hours=2):%A, %B %-d, %Y %-I:%M %p}\nTo: {full} <{email}>\nSubject: FW: {orig_subject}\n\n{note}\n\n"
        f"From: {sales_name} <{sales_email}>\nSent: {sent:%A, %B %-d, %Y %-I:%M %p}\nTo: Tom Reed <tom.reed@{domain}>\nSubject: {orig_subject}\n\n{original}"
    )


def parse(path):
    """Yield the entries of a source file as dicts."""
    for chunk in path.read_text(encoding="utf-8").split("%% ")[1:]:
        head, subject, *body = chunk.rstrip("\n").split("\n")
        intent, lang, client, day, *options = head.split()
        entry = {
            "intent": intent,
            "lang": lang,
            "client": client,
            "day": day,
            "subject": subject,
            "body": "\n".join(body).strip("\n"),
            "chain": "chain" in options,
            "return_date": None,
            "referral_email": None,
        }
        for option in options:
            key, _eq, value = option.partition("=")
            if key == "ret":
                entry["return_date"] = value
            elif key == "ref":
                entry["referral_email"] = value
        yield entry


def build(name, rng):
    """Write ``<name>.jsonl`` from ``src/<name>.txt``; return its size."""
    rows = []
    for number, entry in enumerate(parse(HERE / "src" / f"{name}.txt"), start=1):
        lang = "zh" if entry["lang"] == "zh" else "en"
        full, title, company, domain = rng.choice(PEOPLE[lang])
        first = (
            full.split()[0]
            if lang == "en"
            else full[0] + ("先生" if rng.random() < 0.5 else "女士")
        )
        local = re.sub(r"[^a-z]", "", full.lower()) or f"user{rng.randint(100, 999)}"
        email = (
            f"{local}@{domain}"
            if lang == "en"
            else f"{rng.choice(['zhang', 'li', 'liu', 'chen', 'zhao'])}{rng.randint(1, 99)}@{domain}"
        )
        person = (full, title, company, domain, email)
        sales = SALES[lang]
        orig_subject, original = rng.choice(ORIGINALS[lang])
        original = original.format(first=first)
        day = datetime.strptime(entry["day"], "%Y-%m-%d")
        tz = (
            timezone(timedelta(hours=8))
            if lang == "zh"
            else timezone(timedelta(hours=rng.choice([0, 1])))
        )
        received = day.replace(hour=rng.randint(8, 18), minute=rng.randint(0, 59), tzinfo=tz)
        sent = received - timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5))
        client = entry["client"]
        automatic = client.startswith(("ooo_", "auto_")) or client in ("mdn", "dsn")
        if entry["subject"] == "-":
            prefix = REPLY_PREFIX[client]
            subject = prefix + ("FW: " if entry["chain"] else "") + orig_subject
        else:
            subject = entry["subject"].format(orig=orig_subject)
        body = entry["body"].format(orig=orig_subject) if automatic else entry["body"]
        if not automatic:
            if client != "apple" and rng.random() < 0.75:
                sig = rng.choice(SIGNATURES[lang])
                body += "\n\n" + sig.format(
                    full=full,
                    first=first,
                    title=title,
                    company=company,
                    domain=domain,
                    n3=rng.randint(100, 999),
                )
            if entry["chain"]:
                body += "\n\n" + chain_block(lang, rng, sent, sales, person, original, orig_subject)
            elif client == "apple":
                body += "\n\nSent from my iPhone\n\n" + quote_block(
                    client, lang, rng, sent, sales, person, original, orig_subject
                )
            elif client != "plain":
                body += "\n\n" + quote_block(
                    client, lang, rng, sent, sales, person, original, orig_subject
                )
        elif client in ("ooo_163", "auto_precedence") and rng.random() < 0.5:
            body += "\n\n" + quote_block(
                "163", lang, rng, sent, sales, person, original, orig_subject
            )
        headers = {
            "From": f'"{full}" <{email}>',
            "To": f'"{sales[0]}" <{sales[1]}>',
            "Date": format_datetime(received),
            "Subject": subject,
            "Message-ID": f"<{name}{number}.{rng.randint(10**8, 10**9)}@{domain}>",
            "In-Reply-To": f"<journey-{rng.randint(1000, 9999)}@brightpack.example>",
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=utf-8",
        }
        extra = CLIENT_HEADERS[client]
        if client in ALTERNATE_HEADERS and rng.random() < 0.5:
            extra = ALTERNATE_HEADERS[client]
        headers.update({key: value.format(email=email) for key, value in extra.items()})
        rows.append(
            {
                "id": f"{name}-{number:03d}",
                "lang": entry["lang"],
                "subject": subject,
                "body": body,
                "headers": headers,
                "intent": entry["intent"],
                "return_date": entry["return_date"],
                "referral_email": entry["referral_email"],
            }
        )
    with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


if __name__ == "__main__":
    for set_name, seed in (("dev", 20260301), ("holdout", 20260302)):
        print(set_name, build(set_name, random.Random(seed)))
