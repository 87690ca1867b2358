"""Reply intelligence: what a prospect's answer to a journey email says.

``classify(subject, body, headers)`` returns the reply's intent (one of
``INTENTS``), a confidence between 0 and 1, the date the person asks to be
contacted again or is back at work (``not_now``, ``out_of_office``) and the
address of the right person (``wrong_person``). It needs no network and no
model: it reads

1. the headers: an automatic answer says so (RFC 3834 ``Auto-Submitted``
   other than ``no``, ``X-Autoreply``, ``X-Autorespond``, ``Precedence:
   auto_reply/bulk/junk``, read and delivery receipts sent as
   ``multipart/report``) or its subject does ("Automatic reply:",
   "自动回复"). ``X-Auto-Response-Suppress`` is *not* such a sign: Outlook
   puts it on ordinary mails;
2. the new text only: the quoted original (``>`` lines, "On ... wrote:",
   "-----Original Message-----", "-----原始邮件-----", the "From:/Sent:" or
   "发件人:/发送时间:" header blocks of Outlook, QQ邮箱, 企业微信邮箱 and of
   forwarded chains) and the signature ("-- ", a lone "Best regards" or
   "谢谢", "Sent from my iPhone") are cut off first, so that the unsubscribe
   footer or the price list of the sales email quoted below a reply never
   count;
3. a table of weighted patterns per intent and per language (English and
   simplified Chinese, both always tried: replies mix them), scored by
   ``score_intents``; ``decide`` picks the intent.

Costly mistakes are guarded: ``unsubscribe`` needs an explicit request to
stop (not "I unsubscribed from another list", not "don't stop"), and
``out_of_office`` an automatic answer or an explicit absence notice.
A reply that states concrete needs (quantities with units, sizes, budget,
deadline) is ``requirements`` even when it also asks for a price: the
salesperson has what a tailored quotation needs.

Dates in the text ("back on 12 March", "until 2027-03-12", "3月12日回来",
"下周一", "next month", "in two weeks", "Q3") are resolved against the
message's ``Date`` header, or today when it has none; a date without a year
that would fall before the message is next year's.
"""

import re
from datetime import date, timedelta
from email.utils import parsedate_to_datetime

from dateutil.relativedelta import relativedelta

INTENTS = (
    "interested",
    "requirements",
    "price",
    "question",
    "not_now",
    "has_supplier",
    "wrong_person",
    "unsubscribe",
    "out_of_office",
    "auto_reply",
    "other",
)

# an intent must reach this score to be chosen; below it the reply is "other"
MIN_SCORE = 2.0
# explicit requests only: a wrong unsubscribe loses a customer
MIN_UNSUBSCRIBE_SCORE = 3.0
# concrete needs (quantities, sizes, budget, deadline) that make a reply "requirements"
MIN_REQUIREMENTS_SCORE = 3.0
# an absence notice sent by hand (no automatic header or subject) must be this explicit
MIN_ABSENCE_SCORE = 3.0

FLAGS = re.IGNORECASE | re.MULTILINE

# ---------------------------------------------------------------------------
# Automatic answers
# ---------------------------------------------------------------------------

AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?(reply|response|antwort)|autoreply|auto:|"
    r"out of (the )?office|abwesenheit|absence|vacation|on leave|r[ée]ponse automatique|"
    r"自动回复|自动答复|休假自动回复|自動回覆)",
    FLAGS,
)
RECEIPT_SUBJECT = re.compile(
    r"^\s*(read|delivered|undeliverable|已读|已送达|未送达|退信)\s*[:：]", FLAGS
)


def _header(headers, name):
    """Return the value of header ``name`` (case-insensitive), or ''."""
    name = name.lower()
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value or "").strip()
    return ""


def automatic_reason(headers):
    """Return why the headers say that a machine sent the message, or ''.

    ``Auto-Submitted`` anything but ``no`` (RFC 3834), ``X-Autoreply``,
    ``X-Autorespond``, ``Precedence: auto_reply/bulk/junk``, or a
    ``multipart/report`` (read or delivery receipt)."""
    auto_submitted = _header(headers, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if _header(headers, name):
            return f"{name} header"
    precedence = _header(headers, "Precedence").lower()
    if precedence in ("auto_reply", "bulk", "junk"):
        return f"Precedence: {precedence}"
    return "delivery report" if is_receipt(headers, "") else ""


def is_automatic(headers):
    """Return True when the headers say that a machine sent the message."""
    return bool(automatic_reason(headers))


def is_receipt(headers, subject):
    """Return True for a read or delivery receipt (``multipart/report`` or a
    "Read:", "Delivered:", "已读:" subject)."""
    content_type = _header(headers, "Content-Type").lower()
    return "multipart/report" in content_type or bool(RECEIPT_SUBJECT.search(subject or ""))


# ---------------------------------------------------------------------------
# Quotes and signatures
# ---------------------------------------------------------------------------

# a line that starts the quoted original (everything from it on is dropped)
QUOTE_STARTS = [
    re.compile(pattern, FLAGS)
    for pattern in (
        r"^\s*>",
        r"^\s*-{2,}\s*(original message|forwarded message|原始邮件|转发邮件)\s*-{2,}",
        r"^\s*_{10,}\s*$",
        r"^\s*on\b.{0,200}\bwrote\s*:\s*$",
        r"^.{0,200}写道\s*[:：]\s*$",
        r"^\s*在\s*\d{4}.{0,120}写道",
        r"^\s*begin forwarded message\s*:",
    )
]
# "From:" / "发件人:" opening a header block (a Sent/Date/To line follows)
HEADER_BLOCK_FROM = re.compile(r"^\s*(from|发件人)\s*[:：]", FLAGS)
HEADER_BLOCK_NEXT = re.compile(
    r"^\s*(sent|date|to|subject|发送时间|日期|收件人|主题)\s*[:：]", FLAGS
)
# a line that starts the signature
SIGNATURE_STARTS = [
    re.compile(pattern, FLAGS)
    for pattern in (
        r"^-- ?$",
        r"^\s*sent from my \w+",
        r"^\s*(sent from|get) outlook for",
        r"^\s*发自我的\w+",
    )
]
# a sign-off alone on its line: the signature starts there, if text precedes it
SIGN_OFF = re.compile(
    r"^\s*((best|kind|warm|many)?\s*(regards|wishes|thanks)|best|cheers|thanks|thank you|"
    r"sincerely|谢谢|祝好|此致|顺祝商祺|商祺)\s*[,.!，。！]?\s*$",
    FLAGS,
)


def strip_reply(body):
    """Return the new text of ``body``: without the quoted original, the
    forwarded chain below it and the signature."""
    lines = (body or "").replace("\r\n", "\n").split("\n")
    kept = []
    for index, line in enumerate(lines):
        if any(pattern.search(line) for pattern in QUOTE_STARTS + SIGNATURE_STARTS):
            break
        following = lines[index + 1 : index + 4]
        if HEADER_BLOCK_FROM.search(line) and any(HEADER_BLOCK_NEXT.search(n) for n in following):
            break
        if SIGN_OFF.search(line) and any(previous.strip() for previous in kept):
            break
        kept.append(line)
    return "\n".join(kept).strip()


# ---------------------------------------------------------------------------
# Patterns: intent -> language -> [(pattern, weight)]
# ---------------------------------------------------------------------------

PATTERNS = {
    "unsubscribe": {
        "en": [
            (r"\bunsubscribe\b", 3),
            (r"\bopt[- ]?out\b", 3),
            (r"\bremove (me|my (e-?mail|address|email address|details|name))\b", 3),
            (r"\btake me off\b", 3),
            (r"\bremove\b.{0,20}\bfrom (your|the|this) (mailing |distribution )?list\b", 3),
            (r"\bstop (sending|emailing|e-mailing|mailing|contacting|spamming)\b", 3),
            (r"^\W*stop\W*$", 3),
            (r"\b(don'?t|do not|never) (contact|email|e-mail|mail|write to) me\b", 3),
            (r"\bno (more|further) (e-?mails|messages)\b", 2),
            (r"\bgdpr\b", 1),
        ],
        "zh": [
            (r"退订|取消订阅", 3),
            (r"(不要|别|请勿|勿)再?(给我)?(发|发送)", 3),
            (r"停止(发送|发)", 3),
            (r"(列表|名单|数据库).{0,6}(删除|移除|去掉)|请把我.{0,20}(删除|移除|remove)", 3),
            (r"\bTD\b", 2),
            (r"再发.{0,6}投诉", 2),
        ],
    },
    "out_of_office": {
        "en": [
            (r"\bout of (the )?office\b", 3),
            (r"\bon (annual |parental |maternity |paternity |sick )?(leave|vacation|holiday)\b", 3),
            (r"\b(away|travell?ing|on business travel|attending a conference)\b", 1),
            (r"\blimited (access to )?(e-?mail|connectivity)\b", 2),
            (
                r"\b(respond|reply|get back to you)\b.{0,30}\b(return|when i'?m back|as soon as)\b",
                1,
            ),
            (r"\b(no access to e-?mail|will not be forwarded)\b", 2),
            (r"\boffices? (are |is )?closed\b", 2),
            (r"\b(back|returning|return) (in the office )?(on|by)\b", 1),
            (r"\buntil\b", 1),
        ],
        "zh": [
            (r"休假|假期|休年假|放假", 3),
            (r"出差", 2),
            (r"不在办公室", 3),
            (r"(回来|返回|返岗|上班|恢复办公)后?.{0,10}回复", 2),
            (r"(无法|不能)(及时|亲自)?(回复|处理)", 2),
            (r"回复(可能)?不及时|延迟回复", 2),
        ],
    },
    "auto_reply": {
        "en": [
            (r"\bautomat(ed|ic) (response|reply|message|confirmation)\b", 3),
            (r"\b(please )?do not reply\b", 2),
            (r"\bticket\b|#\d{3,}|\breference number\b", 3),
            (r"\b(has|have) (been )?received your (message|email|request)\b", 2),
            (r"\bwe (got|received) your (e-?mail|message)\b", 2),
            (r"\b(inbox|mailbox) is (no longer|not) monitored\b", 3),
            (r"\b(was read on|has been delivered|receipt for the mail)\b", 3),
        ],
        "zh": [
            (r"自动(回复|发送|发出)", 3),
            (r"请勿(直接)?回复", 2),
            (r"工单|受理编号|受理", 2),
            (r"邮件已(收到|成功投递)|已收到您的邮件|您的邮件(我们)?已(经)?收到", 2),
            (r"邮箱已停用|此邮箱不再使用", 3),
            (r"被阅读", 3),
        ],
    },
    "wrong_person": {
        "en": [
            (r"\b(not|n'?t) the right (person|contact)\b", 4),
            (r"\bwrong (person|contact|address)\b", 4),
            (r"\bnot (my|our) (department|area)\b", 4),
            (r"\bnot (responsible|in charge)\b", 4),
            (r"\b(don'?t|do not|no longer) (work in|handle|deal with|look after)\b", 3),
            (r"\bisn'?t something i deal with\b", 4),
            (r"\bno longer work\b", 3),
            (r"\b(i'?ve left|have left|i left|moved to a different role|changed roles?)\b", 3),
            (r"\b(i work in|i'?m in|i'?m just the|i'?m a freelancer)\b", 1),
            (r"\b(not part of the team)\b", 3),
            (
                r"\b(is the person|the person you need|is our buyer|who looks after|who handles|"
                r"handles (packaging|purchasing|this) now|responsible for (packaging|purchasing)|"
                r"is handled by)\b",
                3,
            ),
            (
                r"\b(please |try |kindly )?(contact|email|e-mail|write to|reach out to|send it to|"
                r"try)\b.{0,60}@",
                1,
            ),
            (r"\b(forwarded|passed) (this|it|your email|your e-mail) (on )?to\b", 2),
            (r"\b(adding|copied|cc'?d)\b.{0,60}@", 2),
        ],
        "zh": [
            (r"不(归我)?负责|不是(我)?负责|不是这块的负责人|不归我", 4),
            (r"不是(负责)?采购|我不是采购|我是(做)?(财务|人事|行政|市场)", 3),
            (r"发错人|找错人", 4),
            (r"已(经)?(离职|调岗|转岗)|不在这家公司|不在公司了", 4),
            (r"(请|直接)?联系.{0,12}@", 1),
            (r"(你|您)(要|得|应该)找|请找", 3),
            (r"由.{0,8}负责|负责采购", 2),
            (r"转给.{0,6}(相关|负责)", 2),
        ],
    },
    "has_supplier": {
        "en": [
            (
                r"\balready (have|working with|work with|got|use|using)\b.{0,30}\b(supplier|vendor|"
                r"provider|partner)\b",
                4,
            ),
            (
                r"\b(current|existing|long-?standing|long-?term|regular) (packaging )?(supplier|vendor|"
                r"provider|partner|agreement|contract|relationship)\b",
                3,
            ),
            (r"\b(under contract|all set|well covered|fully stocked|no plans to change)\b", 3),
            (r"\bnot interested\b", 3),
            (r"\b(make|produce|source) (all )?(our|their) own\b|\bin-house\b", 3),
            (r"\b(buys?|purchases?) centrally\b", 3),
            (r"\b(happy|satisfied) with (our|the) current\b", 3),
            (r"\bno (thanks|thank you|need)\b", 1),
        ],
        "zh": [
            (r"已经?有.{0,6}(供应商|厂家|合作|供货商|工厂)", 4),
            (r"(固定|长期|现在|目前)(合作)?的?.{0,4}(供应商|厂家|包装厂|合作)", 3),
            (r"(?<!暂时)(?<!还)(?<!暂)不需要(?!了再)|不用了", 2),
            (r"没兴趣|不感兴趣", 3),
            (r"自己(生产|的工厂|工厂)|我们有自己的", 3),
            (r"统一采购|不考虑新的|暂无更换|没有更换的打算|不考虑更换", 3),
        ],
    },
    "not_now": {
        "en": [
            (r"\bnot (right )?now\b|\bnot at the moment\b|\bnothing for now\b", 2),
            (r"\b(maybe|perhaps) (later|sometime|in|next)\b", 2),
            (r"\blater (in|this) (the )?year\b|\bsometime later\b", 2),
            (r"\b(timing|not a priority|this quarter|busy week|swamped|moving warehouses)\b", 1),
            (
                r"\b(contact|reach out to|get back to|ping|follow up|try|talk|speak|circle back)"
                r"( with)?( me)?( again)?\b.{0,25}\b(then|later|next|in|after|on|until)\b",
                2,
            ),
            (r"\b(talk then|try me again|follow up on|reach out again)\b", 2),
            (r"\b(next|in) (week|month|year|quarter|q[1-4])\b|\bq[1-4]\b", 2),
            (r"\bnext (monday|tuesday|wednesday|thursday|friday)\b", 2),
            (r"\bin (two|three|four|a few|\d+) (weeks|months)\b|\bweeks? later\b", 2),
            (r"\bbudget\b.{0,40}\b(released|spent|next year)\b", 2),
            (r"\bwon'?t be (reviewing|looking)\b|\bnot looking at\b.{0,40}\bthis year\b", 2),
            (r"\bafter the holidays\b", 2),
        ],
        "zh": [
            (r"暂时不(需要|考虑)|目前暂时|暂时不|现在还不需要|现在没需求|目前项目还没", 3),
            (
                r"(以后|下个?月|下周|明年|年后|节后|两周后|过段时间|改天|季度|月份|\d+月).{0,8}再(联系|说|聊|跟我联系)",
                3,
            ),
            (r"再(联系|说|聊)吧|到时候再聊|有需要(了)?再(找|联系)", 2),
            (r"最近(比较|太)?忙|太忙了|不是好时机|在外地", 1),
            (r"(以后|之后)再(跟我)?联系", 2),
        ],
    },
    "price": {
        "en": [
            (
                r"\b(send|share|give|get|let me know|what('?s| is| are)|could you|can you|please)\b"
                r".{0,40}\b(price|prices|pricing|quote|quotation|rates|rate card|price list)\b",
                3,
            ),
            (r"\bhow much\b|\bwhat do you charge\b|\bballpark\b", 3),
            (r"\bprice list\b.{0,40}\b(send|share)\b", 3),
            (r"\b(price|prices|pricing|quote|quotation|rates)\b", 1),
            (r"\b(cost|costs)\b", 1),
            (r"\bquote please\b|\bplease quote\b", 3),
        ],
        "zh": [
            (r"(发|给|提供|报|请问|麻烦).{0,12}(报价|价格|单价|价|price|quotation|quote)", 3),
            (r"多少钱|怎么卖|什么价|怎么收费|批发价|请报价|报个价|报价单", 3),
            (r"单价.{0,6}多少|价格多少", 3),
            (r"价格|报价", 1),
        ],
    },
    "question": {
        "en": [
            (r"\?", 1),
            (r"^\s*(do|does|is|are|can|could|which|what|where|when|how|who|why)\b.{0,120}\?", 1),
            (
                r"\b(moq|minimum order|lead time|certif\w*|payment (terms|methods)|paypal|ship to|"
                r"warehouse|factory|recycl\w*|white-label|custom sizes|in stock|brc|iso|inks?|"
                r"where is your|based|set-up fee|include delivery|charged separately)\b",
                2,
            ),
            (r"\b(include|cover|mean)s?\b.{0,40}\?", 1),
        ],
        "zh": [
            (r"[?？]", 1),
            (r"请问|是否|能否|有没有|多久|哪里|哪个|什么时候|吗", 1),
            (
                r"起订|交期|发票|专票|现货|工厂在|检测报告|打样|降解|MSDS|FSC|含不含|含税|运费|"
                r"出厂价|小批量|来样定制|lead time|certificate",
                2,
            ),
            (r"是.{0,8}还是|(价格|报价).{0,20}(含不含|是否含|包不包|包括)", 2),
        ],
    },
    "interested": {
        "en": [
            (r"(?<!not )(?<!n't )\binterest(ed|ing)\b", 2),
            (
                r"\b(set up|schedule|book|arrange|have|jump on|propose)\b.{0,25}\b(call|meeting|chat|"
                r"presentation|dates?|slot)\b",
                3,
            ),
            (
                r"\blet'?s (talk|chat|speak|have a chat)\b|\bhappy to chat\b|\bcall me\b|\bare you free\b",
                3,
            ),
            (r"\bsamples?\b", 3),
            (
                r"\b(catalog(ue)?|learn more|know more|more info(rmation)?|keen|good fit|timely)\b",
                2,
            ),
            (r"\b(calendly|send me an invite|video call)\b", 3),
        ],
        "zh": [
            (r"感兴趣|有兴趣|有意向|挺合适", 3),
            (r"样品|试用", 3),
            (r"(约|安排).{0,8}(时间|会议|电话|见面|面谈|视频|拜访|参观|meeting|call)", 3),
            (r"面谈|详谈|当面聊|电话聊|视频会议|加我微信|过来坐坐|来工厂|去工厂|来我们公司", 3),
            (r"目录|详细资料|进一步了解|希望.{0,10}(合作|了解)", 2),
        ],
    },
}

# phrases blanked before scoring an intent, because they look like its cues
# but say the opposite (or are an email footer quoted without a marker)
VETOES = {
    "unsubscribe": [
        r"\b(don'?t|do not|never|please don'?t) stop\b",
        r"\bunsubscribed\b.{0,60}",
        r"\bif you no longer wish to receive\b.{0,80}|\bunsubscribe here\b|\breply stop\b",
        r"不要停|别停|退订过|如不(希望|想)再收到.{0,30}|退订请回复\s*TD",
    ],
}

COMPILED = {
    intent: [(re.compile(p, FLAGS), w) for rules in by_lang.values() for p, w in rules]
    for intent, by_lang in PATTERNS.items()
}
COMPILED_VETOES = {
    intent: [re.compile(p, FLAGS) for p in rules] for intent, rules in VETOES.items()
}

# concrete needs: quantities with units, sizes, budget, deadline
NUMBER = r"\d[\d,.]*\s*(k|万|千)?"
QUANTITY = re.compile(
    r"\d[\d,]{2,}\s*x\s|"
    + NUMBER
    + r"\s*(x\s*)?(pcs|pieces|units|boxes|bags|bottles|rolls|jars|crates|cartons|sets|"
    r"labels|tote bags|gift boxes|\w+ (boxes|bags|bottles|cartons|crates|jars|labels)|"
    r"个|只|箱|件|套|张|卷|瓶|支|kg|公斤|吨)(?![a-z])",
    FLAGS,
)
MEASURE = re.compile(
    NUMBER + r"\s*(cm|mm|ml|g|gsm|oz|micron|m|l|丝|克|米)(?![a-z])|\d+\s*[x×*]\s*\d+", FLAGS
)
BUDGET = re.compile(r"budget|预算|[£€$¥]\s*\d|\d\s*(元|eur|usd|gbp)\b|per (unit|box|crate)", FLAGS)
DEADLINE = re.compile(
    r"\b(by|before|within|deadline|needed by|must arrive by|delivered by|delivery within|"
    r"need them by|need them within)\b|前(交货|要货|到货|送到)|交货期|月底前|内交货|交货|急用",
    FLAGS,
)
NEED = re.compile(
    r"\b(we need|we'?d need|need|looking for|our (specs|requirement)|after)\b|需要|采购|要做|定做|订做|需求",
    FLAGS,
)


def requirements_score(text):
    """Score the concrete needs stated in ``text``: quantities with units,
    sizes and measures, budget, deadline, a statement of need."""
    quantities = len(QUANTITY.findall(text))
    measures = len(MEASURE.findall(text))
    score = 1.5 * min(quantities, 2) + 1.0 * min(measures, 2)
    if quantities or measures:
        score += 1.0 * bool(BUDGET.search(text)) + 1.0 * bool(DEADLINE.search(text))
        score += 0.5 * bool(NEED.search(text))
    return score


def score_intent(intent, text):
    """Return the score of ``intent`` for the (already stripped) ``text``:
    the sum of the weights of its patterns that match, after blanking its
    vetoed phrases; ``requirements`` is scored by ``requirements_score``."""
    if intent == "requirements":
        return requirements_score(text)
    for veto in COMPILED_VETOES.get(intent, ()):
        text = veto.sub(" ", text)
    return float(
        sum(weight for pattern, weight in COMPILED.get(intent, ()) if pattern.search(text))
    )


def score_intents(text):
    """Return {intent: score} for the (already stripped) ``text``."""
    return {intent: score_intent(intent, text) for intent in INTENTS if intent != "other"}


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS_ZH = "一二三四五六日"
NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "a few": 3, "few": 3}
NUMBERS.update({"一": 1, "两": 2, "二": 2, "三": 3, "四": 4})
UNITS = {
    "day": "days",
    "week": "weeks",
    "month": "months",
    "天": "days",
    "周": "weeks",
    "星期": "weeks",
    "个星期": "weeks",
    "个月": "months",
    "月": "months",
}

# explicit calendar dates rank first, then specific relative ones, then vague ones
EXPLICIT, RELATIVE, VAGUE = 3, 2, 1
DATE_PATTERNS = [
    (EXPLICIT, "ymd", r"(?P<year>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"),
    (EXPLICIT, "dmy", r"\b(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<year>\d{4})\b"),
    (EXPLICIT, "zh", r"(?:(?P<year>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]"),
    (
        EXPLICIT,
        "dm",
        r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + MONTH + r"(?:,?\s+(?P<year>\d{4}))?\b",
    ),
    (
        EXPLICIT,
        "md",
        r"\b" + MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{4}))?",
    ),
    (
        RELATIVE,
        "next_weekday",
        r"\bnext\s+(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    ),
    (RELATIVE, "next_weekday_zh", r"下(?:周|星期|个星期)(?P<weekday>[一二三四五六日天])"),
    (
        RELATIVE,
        "in_n",
        r"\bin\s+(?P<n>a few|few|a|one|two|three|four|\d+)\s+(?P<unit>day|week|month)s?\b",
    ),
    (
        RELATIVE,
        "n_later",
        r"\b(?P<n>one|two|three|four|\d+)\s+(?P<unit>day|week|month)s?\s+later\b",
    ),
    (
        RELATIVE,
        "n_later_zh",
        r"(?P<n>[一两二三四]|\d+)\s*(?P<unit>个星期|星期|个月|周|天)(?:后|以后|之后)",
    ),
    (RELATIVE, "tomorrow", r"\btomorrow\b|明天"),
    (VAGUE, "next_week", r"\bnext\s+week\b|下(?:周|星期|个星期)(?![一二三四五六日天])"),
    (VAGUE, "next_month", r"\bnext\s+month\b|下个?月(?!\d)"),
    (VAGUE, "quarter", r"\bq(?P<q>[1-4])\b(?P<next>\s+next\s+year)?|第(?P<qzh>[一二三四])季度"),
    (VAGUE, "next_year", r"\bnext\s+year\b|明年"),
    (VAGUE, "month", r"\b(?:in|from|until|after|by|early|mid|around)\s+" + MONTH + r"(?!\s*\d)"),
    (VAGUE, "month_zh", r"(?<![\d年])(?P<m>\d{1,2})月(?:份)?(?![\d日号])"),
]
COMPILED_DATES = [(rank, kind, re.compile(pattern, FLAGS)) for rank, kind, pattern in DATE_PATTERNS]

# words that tie a date to the return or to the next contact, before or after it
RETURN_BEFORE = re.compile(
    r"(back|return|returning|reopen|resume|again|contact me|follow up|after|until|till|"
    r"回来|返回|至|到|以后|之后)\W{0,3}(on|in|by|the|at|in the office on)?\W{0,3}$",
    FLAGS,
)
RETURN_AFTER = re.compile(r"^\W{0,3}(起|回来|返回|返岗|上班|恢复|以后|之后|后|前|再)", FLAGS)


def reference_date(headers, today=None):
    """Return the date of the message (its ``Date`` header, in the sender's
    time zone), else ``today`` or ``date.today()``."""
    try:
        return parsedate_to_datetime(_header(headers, "Date")).date()
    except (TypeError, ValueError, IndexError):
        # no Date header, or one that does not parse
        return today or date.today()


def _quarter_start(quarter, reference, next_year=False):
    """Return the first day of ``quarter`` after ``reference``."""
    start = date(reference.year + next_year, 3 * quarter - 2, 1)
    return start if start > reference else start.replace(year=start.year + 1)


def _resolve(kind, match, reference):  # noqa: PLR0911
    """Return the date a ``DATE_PATTERNS`` match means, or None."""
    groups = match.groupdict()
    if kind in ("ymd", "dmy", "zh", "dm", "md"):
        month = (
            int(groups["m"]) if groups.get("m") else MONTHS.get(groups["month"].lower().rstrip("."))
        )
        year = int(groups["year"]) if groups.get("year") else reference.year
        try:
            found = date(year, month, int(groups["d"]))
        except (TypeError, ValueError):
            return None
        if not groups.get("year") and found < reference:
            found = found.replace(year=year + 1)
        return found
    if kind in ("next_weekday", "next_weekday_zh"):
        name = groups["weekday"].lower()
        weekday = (
            WEEKDAYS_EN.index(name)
            if name in WEEKDAYS_EN
            else WEEKDAYS_ZH.index(name.replace("天", "日"))
        )
        next_monday = reference + timedelta(days=7 - reference.weekday())
        return next_monday + timedelta(days=weekday)
    if kind in ("in_n", "n_later", "n_later_zh"):
        number = groups["n"]
        count = int(number) if number.isdigit() else NUMBERS.get(number.lower(), 1)
        return reference + relativedelta(**{UNITS[groups["unit"].lower()]: count})
    if kind == "tomorrow":
        return reference + timedelta(days=1)
    if kind == "next_week":
        return reference + timedelta(days=7 - reference.weekday())
    if kind == "next_month":
        return reference.replace(day=1) + relativedelta(months=1)
    if kind == "next_year":
        return date(reference.year + 1, 1, 1)
    if kind == "quarter":
        quarter = int(groups["q"]) if groups.get("q") else WEEKDAYS_ZH.index(groups["qzh"]) + 1
        return _quarter_start(quarter, reference, bool(groups.get("next")))
    if kind in ("month", "month_zh"):
        month = (
            int(groups["m"]) if groups.get("m") else MONTHS.get(groups["month"].lower().rstrip("."))
        )
        if not month or month > 12:
            return None
        found = date(reference.year, month, 1)
        return found if found > reference else found.replace(year=found.year + 1)
    return None


def find_dates(text, reference):
    """Return the dates said in ``text`` as (rank, tied, position, date):
    ``rank`` EXPLICIT/RELATIVE/VAGUE, ``tied`` True when a return or
    contact word stands next to it. Overlapping matches keep the first
    (most explicit) pattern's."""
    found, taken = [], []
    for rank, kind, pattern in COMPILED_DATES:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            resolved = _resolve(kind, match, reference)
            if not resolved:
                continue
            taken.append((start, end))
            tied = bool(RETURN_BEFORE.search(text[max(0, start - 30) : start])) or bool(
                RETURN_AFTER.search(text[end : end + 8])
            )
            found.append((rank, tied, start, resolved))
    return found


def return_date(text, reference):
    """Return the date ``text`` names for the return or the next contact:
    a date tied to a return/contact word first, then the most explicit one;
    among equals the last one said. None when it names none."""
    dates = find_dates(text, reference)
    if not dates:
        return None
    return max(dates, key=lambda item: (item[1], item[0], item[2]))[3]


# ---------------------------------------------------------------------------
# Referral
# ---------------------------------------------------------------------------

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def referral_email(text, headers=None):
    """Return the first address in ``text`` that is not the sender's own
    (``From`` header), lowercased, or None."""
    sender = EMAIL.search(_header(headers, "From"))
    sender = sender.group(0).lower() if sender else ""
    for match in EMAIL.finditer(text):
        address = match.group(0).lower().rstrip(".")
        if address != sender:
            return address
    return None


# ---------------------------------------------------------------------------
# Decision
# ---------------------------------------------------------------------------


def _confidence(best, runner_up, base=0.45):
    """Confidence of a pick from its score and the runner-up's: more and
    stronger cues and a clearer lead raise it (0.3 .. 0.97)."""
    if best <= 0:
        return 0.3
    strength = min(1.0, best / 8.0)
    lead = max(0.0, best - runner_up) / best
    return round(min(0.97, base + 0.3 * strength + 0.22 * lead), 2)


def decide(scores, automatic, receipt):  # noqa: PLR0911
    """Return (intent, confidence) from the pattern ``scores`` and whether
    the message is an automatic answer (``automatic``) or a receipt.

    Order: receipts and automatic answers first (out of office when they
    speak of an absence); then an explicit unsubscribe; then an absence
    notice sent by hand; then concrete requirements (they win over a price
    question); then the best-scoring of the other intents; "other" when
    nothing reaches ``MIN_SCORE``."""
    if receipt:
        return "auto_reply", 0.97
    if automatic:
        if scores["out_of_office"] >= MIN_SCORE and scores["out_of_office"] > scores["auto_reply"]:
            return "out_of_office", _confidence(scores["out_of_office"] + 4, 0, base=0.7)
        return "auto_reply", _confidence(scores["auto_reply"] + 4, 0, base=0.7)
    human = {
        intent: value
        for intent, value in scores.items()
        if intent not in ("out_of_office", "auto_reply", "unsubscribe", "requirements")
    }
    runner_up = max(human.values(), default=0.0)
    if scores["unsubscribe"] >= MIN_UNSUBSCRIBE_SCORE and scores["unsubscribe"] > runner_up:
        return "unsubscribe", _confidence(scores["unsubscribe"], runner_up, base=0.55)
    if scores["out_of_office"] >= MIN_ABSENCE_SCORE + 2 and scores["out_of_office"] > runner_up + 2:
        return "out_of_office", _confidence(scores["out_of_office"], runner_up)
    if scores["requirements"] >= MIN_REQUIREMENTS_SCORE:
        others = max(
            (v for k, v in human.items() if k not in ("price", "question", "interested")),
            default=0.0,
        )
        if scores["requirements"] >= others:
            return "requirements", _confidence(scores["requirements"], others)
    ranked = sorted(
        human.items(), key=lambda item: (item[1], -INTENTS.index(item[0])), reverse=True
    )
    (best, best_score), (_second, second_score) = ranked[0], ranked[1]
    if best_score < MIN_SCORE:
        return "other", 0.5
    return best, _confidence(best_score, second_score)


def classify(subject, body, headers=None, today=None):
    """Classify one reply; return a dict with ``intent``, ``confidence``,
    ``return_date`` (a date or None) and ``referral_email`` (or None).

    ``body`` is plain text; ``headers`` a {name: value} dict (any case);
    ``today`` the fallback reference date when there is no ``Date`` header."""
    headers = headers or {}
    subject = subject or _header(headers, "Subject")
    text = strip_reply(body)
    receipt = is_receipt(headers, subject)
    automatic = is_automatic(headers) or bool(AUTO_SUBJECT.search(subject))
    scores = score_intents(text)
    if automatic:
        # the subject of an absence notice often says it ("Out of office")
        scores["out_of_office"] = score_intent("out_of_office", f"{subject}\n{text}")
    intent, confidence = decide(scores, automatic, receipt)
    result = {
        "intent": intent,
        "confidence": confidence,
        "return_date": None,
        "referral_email": None,
    }
    if intent in ("out_of_office", "not_now"):
        result["return_date"] = return_date(text, reference_date(headers, today))
    if intent == "wrong_person":
        result["referral_email"] = referral_email(text, headers)
    return result
