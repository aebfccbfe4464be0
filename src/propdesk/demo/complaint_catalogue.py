"""The complaint catalogue: what residents complain of (投诉), and how the desk settles it.

Each :class:`ComplaintMatter` is one kind of valid complaint with the texts its story needs,
from the resident's account to the answer and the outcome; :class:`InvalidMatter` is one the
desk finds is not the property company's to handle (无效投诉). The matters are grouped by the
path they suit: ordinary ones, urgent ones (紧急投诉), major ones (重大投诉), big problems
(大问题), and complaints about a repair, whose texts name the repaired item.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from propdesk.domain.complaint_values import ComplaintLiability, ComplaintSeverity, ComplaintSubject

ENGINEERING = "engineering"
CUSTOMER_SERVICE = "customer_service"
SECURITY = "security"
"""The organisation's departments a complaint is routed to."""

UNITS = {ENGINEERING: "工程部", CUSTOMER_SERVICE: "客服部", SECURITY: "安护部"}
"""The responsible unit (责任单位) a department is called by on the complaint form."""


@dataclass(frozen=True)
class RemedyPlan:
    """The plan a leader approves (C5): cause, corrective measures, remedy, and its cost."""

    cause: str
    measures: str
    remedy: str
    cost: Decimal | None = None


@dataclass(frozen=True)
class Deferral:
    """Why a complaint cannot be solved in time, and the plan until the expected date (C7)."""

    reason: str
    plan: str
    days: tuple[int, int]
    """The expected date is this many days away, at least and at most."""


@dataclass(frozen=True)
class ComplaintMatter:
    """One kind of valid complaint, as the resident tells it and as the desk settles it."""

    what_happened: str
    """发生经过; ``{item}`` stands for the repaired item in a complaint about a repair."""
    demands: str
    subject: ComplaintSubject
    department: str
    """The department that handles it: :data:`ENGINEERING`, :data:`CUSTOMER_SERVICE` or
    :data:`SECURITY`."""
    severity: ComplaintSeverity
    liability: ComplaintLiability
    answer: str
    """The clear answer given to the complainant (C6)."""
    outcome: str
    """What was done (C8), and what the complainant is told (C9)."""
    at_home: bool = True
    """It happened in the complainant's home; otherwise in a public place."""
    about: str | None = None
    """The person complained about (被投诉人), if the resident names one."""
    plan: RemedyPlan | None = None
    deferral: Deferral | None = None
    immediate_measures: str | None = None
    """What the desk did at once while taking an urgent complaint (C1a)."""

    @property
    def unit(self) -> str:
        """The responsible unit (责任单位): the handling department's Chinese name."""
        return UNITS[self.department]


@dataclass(frozen=True)
class InvalidMatter:
    """A complaint about something outside the property company's remit (无效投诉)."""

    what_happened: str
    demands: str
    subject: ComplaintSubject
    answer: str
    help_offered: str
    """尽量为住户提供方便: what the desk does for the resident all the same (C12)."""


_E, _C, _S = ENGINEERING, CUSTOMER_SERVICE, SECURITY
_SUBJECT = ComplaintSubject
_MINOR, _IMPORTANT, _MAJOR = (
    ComplaintSeverity.MINOR,
    ComplaintSeverity.IMPORTANT,
    ComplaintSeverity.MAJOR,
)
_COMPANY = ComplaintLiability.COMPANY
_NEIGHBOUR = ComplaintLiability.RESIDENT_OR_NEIGHBOUR
_SHARED = ComplaintLiability.SHARED
_UNKNOWN = ComplaintLiability.UNDETERMINED

ORDINARY: tuple[ComplaintMatter, ...] = (
    ComplaintMatter(
        "前台接电话态度冷淡,报修内容说了三遍也没有记录下来", "要求客服人员道歉,改进服务态度",
        _SUBJECT.SERVICE, _C, _MINOR, _COMPANY,
        "已核实通话录音,确系前台服务不周,向您致歉,并已对当班人员进行批评教育",
        "客服主管已当面致歉,前台人员已重新培训服务规范", about="前台接待员",
    ),
    ComplaintMatter(
        "楼道垃圾两天没有清运,气味很大,招来很多苍蝇", "要求每天按时清运并对楼道消毒",
        _SUBJECT.CLEANING, _C, _MINOR, _COMPANY,
        "已安排保洁当天清运并消毒,今后每天上午、傍晚各清运一次",
        "楼道垃圾已清运并消毒,保洁班组已调整清运时间", at_home=False,
    ),
    ComplaintMatter(
        "物业费账单多算了一个月,去年已经交清", "要求核实后退还多收的费用",
        _SUBJECT.SERVICE, _C, _MINOR, _COMPANY,
        "经财务核对确系系统重复计费,多收部分将全额退还",
        "多收的物业费已退回业主账户,账单已更正",
        deferral=Deferral("退费需公司财务审批,本周五统一办理", "财务审批后原路退回", (3, 5)),
    ),
    ComplaintMatter(
        "隔壁装修中午和晚上九点以后还在电钻施工,噪音很大", "要求物业督促装修户遵守施工时间",
        _SUBJECT.DECORATION, _C, _MINOR, _NEIGHBOUR,
        "已上门告知装修户施工时间规定,并安排巡查人员每日检查",
        "装修户已签署承诺书,按规定时间施工", about="1802装修户",
    ),
    ComplaintMatter(
        "地下车库好几处照明灯坏了,晚上停车看不清", "要求三天内修好车库照明",
        _SUBJECT.ENGINEERING, _E, _MINOR, _COMPANY,
        "已安排电工排查车库照明线路,损坏灯具两天内全部更换",
        "车库损坏灯具已全部更换,照明恢复正常", at_home=False,
        deferral=Deferral("部分灯具型号需向厂家订货", "先装临时照明,灯具到货后统一更换",
                          (3, 6)),
    ),
    ComplaintMatter(
        "电梯一周内停了三次,家里老人上下楼很不方便", "要求彻底检修电梯并公布检修结果",
        _SUBJECT.ENGINEERING, _E, _IMPORTANT, _COMPANY,
        "已约电梯维保单位全面检修,检修结果将在单元公告栏公示",
        "电梯主板故障已更换,试运行正常,检修报告已公示", at_home=False,
        plan=RemedyPlan("电梯主板老化导致频繁停梯", "加密维保频次,每周巡检一次",
                        "更换电梯主板并全面检修", Decimal(3800)),
        deferral=Deferral("需厂家技术人员到场检测并订购主板", "检测期间安排专人值守电梯",
                          (4, 7)),
    ),
    ComplaintMatter(
        "二次供水水压太低,高层早晚用水高峰几乎没水", "要求查明原因,尽快解决",
        _SUBJECT.ENGINEERING, _E, _IMPORTANT, _COMPANY,
        "已检查加压水泵,确认一台水泵故障,正在抢修",
        "故障水泵已维修并调整供水压力,高层用水恢复正常", at_home=False,
        plan=RemedyPlan("加压水泵故障,备用泵未自动切换", "每月测试备用泵自动切换",
                        "维修故障水泵,调整供水压力", Decimal(1200)),
        deferral=Deferral("水泵配件需从厂家调货", "调货期间调整供水时段保障高峰用水", (3, 5)),
    ),
    ComplaintMatter(
        "保安拦住我家访客盘问很久,态度生硬", "要求保安道歉,改进工作方式",
        _SUBJECT.SERVICE, _S, _MINOR, _COMPANY,
        "已调取监控核实,保安确有言语生硬之处,向您致歉", "安护部主管已带当班保安上门致歉",
        at_home=False, about="东门当班保安",
    ),
    ComplaintMatter(
        "楼上住户在阳台养鸽子,羽毛和粪便落到我家窗台", "要求物业出面协调",
        _SUBJECT.OTHER, _C, _MINOR, _NEIGHBOUR,
        "已与楼上住户沟通,对方同意清理阳台并加装防护网", "楼上住户已加装防护网,窗台已清理干净",
        about="楼上住户",
    ),
    ComplaintMatter(
        "外来车辆随意进出小区,固定车位经常被占", "要求加强门岗管理,外来车辆登记",
        _SUBJECT.OTHER, _S, _IMPORTANT, _COMPANY,
        "已要求门岗对外来车辆逐一登记,占用车位的车辆将联系车主挪车",
        "门岗已执行外来车辆登记制度,车位占用问题已解决", at_home=False,
        plan=RemedyPlan("门岗对外来车辆放行把关不严", "外来车辆一律登记,限时停放",
                        "加装车位地锁并张贴提示"),
    ),
)  # fmt: skip
"""Complaints of every day: service, cleaning, bills, neighbours, facilities."""

URGENT: tuple[ComplaintMatter, ...] = (
    ComplaintMatter(
        "楼上漏水正往下滴,客厅电器被淋湿,联系不上楼上住户", "要求立即派人处理",
        _SUBJECT.BUILDING, _E, _IMPORTANT, _NEIGHBOUR,
        "工程部已到场关闭楼上进水阀,漏点已找到,将协调楼上住户维修",
        "楼上漏点已修复,已协助业主与楼上住户协商赔偿",
        immediate_measures="已通知工程部值班人员立即上楼关闭进水总阀",
    ),
    ComplaintMatter(
        "电梯困人十多分钟还没有人来救援", "要求立即救援并追究维保单位责任",
        _SUBJECT.ENGINEERING, _E, _MAJOR, _COMPANY,
        "被困人员已安全救出,电梯已停用检修,维保单位将书面说明原因",
        "电梯故障已排除,维保单位已提交整改报告", at_home=False,
        immediate_measures="已启动电梯困人应急预案,通知维保单位和工程部赶赴现场",
        plan=RemedyPlan("电梯门锁回路故障导致困人,救援到场偏慢", "维保单位驻场响应不超过15分钟",
                        "更换门锁回路部件,向被困业主致歉"),
    ),
    ComplaintMatter(
        "单元门禁坏了,大门一直敞开,陌生人随意进出", "要求马上修好门禁并加强巡逻",
        _SUBJECT.OTHER, _S, _IMPORTANT, _COMPANY,
        "已安排保安临时值守单元门,门禁当天修复", "单元门禁已修复,巡逻已加密",
        at_home=False, immediate_measures="已派保安到单元门口临时值守",
    ),
)  # fmt: skip
"""Complaints that cannot wait (紧急投诉): the specialty is told within 5 minutes (T42)."""

MAJOR: tuple[ComplaintMatter, ...] = (
    ComplaintMatter(
        "小区停水一整天没有提前通知,家里老人孩子无法正常生活",
        "要求说明原因、公开道歉并建立停水通知制度",
        _SUBJECT.ENGINEERING, _E, _MAJOR, _COMPANY,
        "停水系市政管网抢修,物业未及时通知,已在公告栏公开致歉",
        "已建立停水停电提前通知制度,向受影响住户逐户致歉", at_home=False,
        plan=RemedyPlan("接到市政停水通知后未转发住户", "停水停电通知须提前24小时张贴并群发短信",
                        "公开致歉,为受影响住户免费送桶装水"),
    ),
    ComplaintMatter(
        "消防通道被杂物和电动车堵死,多次反映一直没人管", "要求立即清理并追究相关人员责任",
        _SUBJECT.OTHER, _S, _MAJOR, _COMPANY,
        "已组织清理消防通道,并对巡查不到位的人员进行处理",
        "消防通道已清理畅通,每日巡查并登记", at_home=False,
        plan=RemedyPlan("消防巡查流于形式,杂物未及时清理", "消防通道每日两次巡查,违停电动车拖离",
                        "全面清理消防通道,增设禁停标识"),
    ),
)  # fmt: skip
"""Complaints seriously affecting residents' daily life or safety (重大投诉)."""

BIG_PROBLEMS: tuple[ComplaintMatter, ...] = (
    ComplaintMatter(
        "外墙瓷砖脱落,差点砸到楼下的小孩", "要求全面排查外墙,加装防护网",
        _SUBJECT.BUILDING, _E, _IMPORTANT, _SHARED,
        "已拉设警戒线,将请专业单位全面排查外墙,三日内答复排查结果",
        "外墙空鼓瓷砖已全部清除并修复,楼下通道加装了防护棚", at_home=False,
        plan=RemedyPlan("外墙瓷砖空鼓老化", "每年雨季前排查外墙一次",
                        "请专业单位排查修复外墙,申请维修基金", Decimal(28000)),
    ),
    ComplaintMatter(
        "屋面防水层老化,顶楼多户一下雨就漏水", "要求统一维修屋面防水",
        _SUBJECT.BUILDING, _E, _IMPORTANT, _SHARED,
        "已组织顶楼住户召开协调会,屋面防水统一维修方案正在报批",
        "屋面防水已重新施工,闭水试验合格",
        plan=RemedyPlan("屋面防水层超过使用年限", "屋面每年检查一次,雨后专项巡查",
                        "屋面防水整体翻新,使用公共维修基金", Decimal(46000)),
    ),
)  # fmt: skip
"""Problems that need a plan and money (大问题): a reply within 3 days, handled within 5."""

ABOUT_A_REPAIR: tuple[ComplaintMatter, ...] = (
    ComplaintMatter(
        "报修的{item}修完第二天又坏了,白跑一趟请假在家", "要求免费返修,并给出保修承诺",
        _SUBJECT.ENGINEERING, _E, _MINOR, _COMPANY,
        "已安排主管带师傅上门免费返修,返修后保修三个月",
        "已免费返修并承诺保修三个月,业主表示接受",
    ),
    ComplaintMatter(
        "报修{item},师傅比约定时间晚到一个多小时,也没提前打电话", "要求师傅道歉,以后按约定时间上门",
        _SUBJECT.SERVICE, _E, _MINOR, _COMPANY,
        "已核实派工记录,师傅确实迟到且未告知,向您致歉",
        "维修主管已带师傅上门致歉,派工前一律电话确认到达时间",
    ),
    ComplaintMatter(
        "报修{item}的收费比价目表上的高", "要求核实收费并退还多收部分",
        _SUBJECT.SERVICE, _E, _IMPORTANT, _UNKNOWN,
        "已按价目表核对收费明细,正在与财务核实",
        "经核实多收部分已退还,维修人员收费前须出示价目表",
    ),
    ComplaintMatter(
        "报修{item},维修后地上的污渍和垃圾都没有清理", "要求上门清理并道歉",
        _SUBJECT.CLEANING, _E, _MINOR, _COMPANY,
        "已安排保洁上门清理,向您致歉,维修人员完工后须清理现场",
        "保洁已上门清理,维修班组已重申完工清场要求",
    ),
)  # fmt: skip
"""Complaints about a repair the resident reported; ``{item}`` is the repair's description."""

INVALID: tuple[InvalidMatter, ...] = (
    InvalidMatter(
        "小区停气大半天,做不了饭", "要求物业马上恢复供气", _SUBJECT.OTHER,
        "经核实为燃气公司管道检修停气,不属于物业管理范围",
        "协助业主联系燃气公司,告知恢复供气时间",
    ),
    InvalidMatter(
        "快递员把包裹放在门口丢了", "要求物业赔偿包裹损失", _SUBJECT.SERVICE,
        "快递投递不属于物业服务范围,物业未代收该包裹",
        "帮助业主调取楼道监控,提供快递公司投诉电话",
    ),
    InvalidMatter(
        "家里宽带经常断线,网速很慢", "要求物业修好网络", _SUBJECT.OTHER,
        "宽带由运营商负责维护,不属于物业管理范围",
        "协助业主联系宽带运营商上门检修",
    ),
    InvalidMatter(
        "对面新建的楼挡住了我家采光", "要求物业出面让开发商解决", _SUBJECT.BUILDING,
        "规划审批不属于物业职责范围,建议向规划部门反映",
        "向业主提供规划部门的咨询电话和反映渠道",
    ),
)  # fmt: skip
"""Complaints the desk finds are not the property company's to handle (无效投诉)."""

CLARIFICATIONS = ("已致电业主,了解具体经过和诉求", "已上门查看现场,与业主确认诉求")
LINK_NOTE = "经查为业主当天的报修单"
INVALID_REMARKS = "已向业主解释清楚,业主表示理解"
REOPEN_PROBLEMS = (
    "问题没有彻底解决,过了两天又出现了",
    "只处理了一半,承诺的事项没有落实",
    "业主认为处理结果不合理,要求重新处理",
)
CONFIRMED_EFFECTS = ("整改后未再出现类似问题", "业主确认问题已解决", "回访时业主表示满意")
PREFERRED_REPLY_TIMES = ("工作日晚上7点后", "上午10点前", "中午12点到1点", "随时可以")
