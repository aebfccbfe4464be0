"""The catalogue: repair items with their fees, and the Chinese texts the stories draw on.

Excuses for refusals, owners' complaints, callback problems and remarks, reasons to decline,
extra parts, surnames, mobile prefixes and public places.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from propdesk.domain.values import RepairCategory, RepairScope


@dataclass(frozen=True)
class RepairItem:
    """One kind of repair request, as the resident describes it."""

    description: str
    category: RepairCategory
    price_item: str
    fee: Decimal
    """The price-list charge for paid work, or the quote for an item outside the list."""
    minutes: int
    """Typical time the work takes."""
    scope: RepairScope = RepairScope.HOUSEHOLD
    in_price_list: bool = True


_O, _L, _S = RepairCategory.OTHER, RepairCategory.LEAK, RepairCategory.SAFETY_FACILITY
_PUBLIC = RepairScope.PUBLIC

HOUSEHOLD_ITEMS: tuple[RepairItem, ...] = (
    RepairItem("厨房水龙头漏水", _O, "更换水龙头", Decimal(80), 30),
    RepairItem("卫生间下水道堵塞", _O, "疏通下水道", Decimal(100), 40),
    RepairItem("马桶水箱不停流水", _O, "更换马桶进水阀", Decimal(60), 30),
    RepairItem("卧室吸顶灯不亮", _O, "更换灯具", Decimal(60), 20),
    RepairItem("热水器不出热水", _O, "检修热水器", Decimal(80), 50),
    RepairItem("卧室门把手松动", _O, "门把手维修", Decimal(30), 15),
    RepairItem("晾衣架升降卡住", _O, "晾衣架维修", Decimal(50), 30),
    RepairItem("可视对讲门铃没有声音", _O, "对讲分机维修", Decimal(70), 30),
    RepairItem("厨房洗菜盆下水管漏水", _L, "更换下水软管", Decimal(50), 30),
    RepairItem("卫生间天花板渗水", _L, "卫生间防水维修", Decimal(300), 90),
    RepairItem("阳台地漏返水", _L, "地漏疏通及密封", Decimal(80), 45),
    RepairItem("客厅窗边渗水", _L, "窗边打胶", Decimal(150), 60),
    RepairItem("客厅插座没电", _S, "更换插座", Decimal(40), 20),
    RepairItem("漏电开关频繁跳闸", _S, "更换漏电开关", Decimal(120), 40),
    RepairItem("燃气报警器一直响", _S, "检修燃气报警器", Decimal(60), 30),
    RepairItem("防盗门锁芯坏了", _S, "更换锁芯", Decimal(150), 30),
)
PUBLIC_ITEMS: tuple[RepairItem, ...] = (
    RepairItem("楼道灯不亮", _O, "公共照明维修", Decimal(0), 20, _PUBLIC),
    RepairItem("单元门禁刷卡打不开", _S, "门禁维修", Decimal(0), 40, _PUBLIC),
    RepairItem("地下车库顶板滴水", _L, "车库顶板堵漏", Decimal(0), 90, _PUBLIC),
    RepairItem("消防栓箱门损坏", _S, "消防栓箱维修", Decimal(0), 30, _PUBLIC),
    RepairItem("小区围墙护栏松动", _S, "护栏加固", Decimal(0), 45, _PUBLIC),
    RepairItem("电梯厅墙面渗水", _L, "墙面堵漏", Decimal(0), 60, _PUBLIC),
)
UNLISTED_ITEMS: tuple[RepairItem, ...] = (
    RepairItem("要求更换整体橱柜台面", _O, "橱柜台面更换", Decimal(1200), 120, in_price_list=False),
    RepairItem("加装卫生间排风扇", _O, "排风扇加装", Decimal(260), 60, in_price_list=False),
    RepairItem("阳台防水层老化需重做", _L, "阳台防水重做", Decimal(1800), 180, in_price_list=False),
    RepairItem("老式铸铁下水立管锈穿", _L, "下水立管更换", Decimal(900), 150, in_price_list=False),
    RepairItem("要求加装燃气自闭阀", _S, "燃气自闭阀加装", Decimal(180), 40, in_price_list=False),
    RepairItem("定制防盗窗变形", _S, "防盗窗维修", Decimal(450), 90, in_price_list=False),
)

TECHNICIAN_EXCUSES = (
    "在其他单元维修走不开",
    "正在处理5栋电梯困人,走不开",
    "正在地下泵房抢修水泵",
    "今天轮休,不在小区",
    "身体不适,已请假",
)
SUPERVISOR_EXCUSES = (
    "正在主持班组例会",
    "在配电房处理跳闸故障",
    "外出采购维修配件",
    "在公司总部开会",
    "陪同供电局检查配电房",
)
COMPLAINTS = (
    "业主抱怨等了太久,要求今天必须有人上门",
    "业主表示已经是第二次报修,情绪激动",
    "业主不满意只能另约时间,要求物业给个说法",
)
CALLBACK_PROBLEMS = (
    "维修后仍有滴水",
    "下水还是很慢",
    "维修后地面留有污渍未清理",
    "用了半天又坏了",
)
CALLBACK_REMARKS = ("师傅态度好,修得很快", "满意", "准时上门,讲解清楚", "基本满意")
ON_SITE_DECLINES = (
    "业主认为收费偏高,暂不维修",
    "业主要求先与家人商量,暂不维修",
    "业主决定自行联系厂家保修",
)
NOT_REPAIRABLE = ("该型号配件已停产,无法维修,建议整体更换", "涉及主体结构,需报开发商处理")
QUOTE_DECLINES = ("业主认为报价太高", "业主决定自行找装修公司")
EXTRA_PARTS = (("角阀", Decimal(25)), ("密封圈", Decimal(10)), ("软管", Decimal(20)))
SURNAMES = "陈王李张刘杨黄赵吴周徐孙马朱胡郭何林高罗"
MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "158", "186", "188")
PUBLIC_PLACES = ("楼道", "电梯厅", "单元门口")
