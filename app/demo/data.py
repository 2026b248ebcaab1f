"""Static tables of the demo data: Yunnan's regions, funders, accounts and organizations.

Province, prefecture and county names and codes are the real administrative divisions
(GB/T 2260). Street, township and community names are real places or plausible ones;
their 9- and 12-digit codes follow the official pattern (county code + 3 digits, street
code + 3 digits; 0xx for streets and urban communities, 1xx for towns, 2xx for villages)
but are not guaranteed to match the statistical bureau's list.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.funders.models import FunderKind, StaffRole
from app.orgs.models import (Category, CreditStatus, EvaluationGrade, LegalStatus,
                             MemberRole, PartyOrganization, ServiceTarget)
from app.regions.models import CommunityKind, RegionLevel

P, F, C, S, V = (RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY,
                 RegionLevel.STREET, RegionLevel.COMMUNITY)
URBAN, RURAL = CommunityKind.URBAN, CommunityKind.RURAL

PROVINCE = ("530000", "云南省")

# The 16 prefecture-level divisions of Yunnan.
PREFECTURES: list[tuple[str, str]] = [
    ("530100", "昆明市"),
    ("530300", "曲靖市"),
    ("530400", "玉溪市"),
    ("530500", "保山市"),
    ("530600", "昭通市"),
    ("530700", "丽江市"),
    ("530800", "普洱市"),
    ("530900", "临沧市"),
    ("532300", "楚雄彝族自治州"),
    ("532500", "红河哈尼族彝族自治州"),
    ("532600", "文山壮族苗族自治州"),
    ("532800", "西双版纳傣族自治州"),
    ("532900", "大理白族自治州"),
    ("533100", "德宏傣族景颇族自治州"),
    ("533300", "怒江傈僳族自治州"),
    ("533400", "迪庆藏族自治州"),
]

# (code, name): the parent is the prefecture whose code shares the first four digits.
COUNTIES: list[tuple[str, str]] = [
    ("530102", "五华区"),
    ("530103", "盘龙区"),
    ("530111", "官渡区"),
    ("530112", "西山区"),
    ("530114", "呈贡区"),
    ("530115", "晋宁区"),
    ("530181", "安宁市"),
    ("530302", "麒麟区"),
    ("530381", "宣威市"),
    ("530402", "红塔区"),
    ("530502", "隆阳区"),
    ("530602", "昭阳区"),
    ("530702", "古城区"),
    ("530802", "思茅区"),
    ("530902", "临翔区"),
    ("532301", "楚雄市"),
    ("532501", "个旧市"),
    ("532503", "蒙自市"),
    ("532601", "文山市"),
    ("532801", "景洪市"),
    ("532901", "大理市"),
    ("533103", "芒市"),
    ("533301", "泸水市"),
    ("533401", "香格里拉市"),
]

# (code, name): the parent county is the first six digits.
STREETS: list[tuple[str, str]] = [
    ("530102001", "华山街道"),
    ("530102002", "护国街道"),
    ("530102003", "大观街道"),
    ("530102004", "龙翔街道"),
    ("530102005", "丰宁街道"),
    ("530102006", "莲华街道"),
    ("530102007", "红云街道"),
    ("530102008", "黑林铺街道"),
    ("530102009", "普吉街道"),
    ("530102010", "西翥街道"),
    ("530103001", "拓东街道"),
    ("530103002", "鼓楼街道"),
    ("530111001", "关上街道"),
    ("532901001", "下关街道"),
    ("532901101", "大理镇"),
    ("532901104", "喜洲镇"),
    ("532901110", "双廊镇"),
    ("532503001", "文澜街道"),
    ("532503102", "草坝镇"),
]

# (code, name, kind): the parent street is the first nine digits.
COMMUNITIES: list[tuple[str, str, CommunityKind]] = [
    ("530102001001", "翠湖社区", URBAN),
    ("530102001002", "武成路社区", URBAN),
    ("530102001003", "文明街社区", URBAN),
    ("530102001004", "光华社区", URBAN),
    ("530102002001", "护国社区", URBAN),
    ("530102002002", "南屏社区", URBAN),
    ("530102003001", "大观社区", URBAN),
    ("530102003002", "篆塘社区", URBAN),
    ("530102004001", "龙翔社区", URBAN),
    ("530102004002", "北仓社区", URBAN),
    ("530102006001", "莲华社区", URBAN),
    ("530102006002", "学府社区", URBAN),
    ("530102007001", "红云社区", URBAN),
    ("530102007002", "红锦社区", URBAN),
    ("530102010201", "沙朗村委会", RURAL),
    ("530102010202", "厂口村委会", RURAL),
    ("530102010203", "桃园村委会", RURAL),
    ("530103001001", "拓东社区", URBAN),
    ("530103001002", "白塔社区", URBAN),
    ("530111001001", "关上社区", URBAN),
    ("530111001002", "双凤社区", URBAN),
    ("532901001001", "洱河社区", URBAN),
    ("532901001002", "关平社区", URBAN),
    ("532901101001", "南门社区", URBAN),
    ("532901101201", "才村村委会", RURAL),
    ("532901101202", "龙龛村委会", RURAL),
    ("532901104201", "周城村委会", RURAL),
    ("532901104202", "喜洲村委会", RURAL),
    ("532901110201", "双廊村委会", RURAL),
    ("532503001001", "天马社区", URBAN),
    ("532503102201", "碧色寨村委会", RURAL),
]


def region_rows() -> list[tuple[str, str, RegionLevel, CommunityKind | None, str | None]]:
    """Every region as (code, name, level, kind, parent_code), parents before children."""
    rows: list[tuple[str, str, RegionLevel, CommunityKind | None, str | None]] = [
        (PROVINCE[0], PROVINCE[1], P, None, None)]
    rows += [(code, name, F, None, PROVINCE[0]) for code, name in PREFECTURES]
    rows += [(code, name, C, None, code[:4] + "00") for code, name in COUNTIES]
    rows += [(code, name, S, None, code[:6]) for code, name in STREETS]
    rows += [(code, name, V, kind, code[:9]) for code, name, kind in COMMUNITIES]
    return rows


# Who registers organizations in each county (登记管理机关) — by county code.
CIVIL_AFFAIRS_BUREAU = {
    "530102": "昆明市五华区民政局",
    "530103": "昆明市盘龙区民政局",
    "530111": "昆明市官渡区民政局",
    "532901": "大理市民政局",
    "532503": "蒙自市民政局",
}

# Where filed organizations are on record (备案) — by street code.
FILING_OFFICE = {
    "530102001": "昆明市五华区华山街道办事处",
    "530102002": "昆明市五华区护国街道办事处",
    "530102003": "昆明市五华区大观街道办事处",
    "530102004": "昆明市五华区龙翔街道办事处",
    "530102006": "昆明市五华区莲华街道办事处",
    "530102007": "昆明市五华区红云街道办事处",
    "530102010": "昆明市五华区西翥街道办事处",
    "530103001": "昆明市盘龙区拓东街道办事处",
    "530111001": "昆明市官渡区关上街道办事处",
    "532901001": "大理市下关街道办事处",
    "532901101": "大理市大理镇人民政府",
    "532901104": "大理市喜洲镇人民政府",
    "532901110": "大理市双廊镇人民政府",
    "532503001": "蒙自市文澜街道办事处",
    "532503102": "蒙自市草坝镇人民政府",
}


def party_committee(community_name: str) -> str:
    """The community party organization that guides a community-led group."""
    if community_name.endswith("村委会"):
        return community_name.removesuffix("村委会") + "村党总支"
    return community_name + "党委"


@dataclass(frozen=True)
class FunderSpec:
    name: str
    short_name: str
    kind: FunderKind
    region_code: str
    description: str
    address: str
    contact_phone: str
    website: str = ""


FUNDERS: list[FunderSpec] = [
    FunderSpec(
        "云南省民政厅", "省民政厅", FunderKind.CIVIL_AFFAIRS, "530000",
        "主管全省社会组织登记管理、基层政权和社区建设工作。统筹使用省级福彩公益金，"
        "每年组织全省社区公益创投大赛，支持社区社会组织承接社区服务项目。",
        "云南省昆明市西山区广福路 8 号", "0871-64118562"),
    FunderSpec(
        "昆明市五华区民政局", "五华区民政局", FunderKind.CIVIL_AFFAIRS, "530102",
        "负责五华区社会组织登记、年检和等级评估，通过政府购买服务和公益创投培育"
        "发展社区社会组织，推动“五社联动”社区治理。",
        "昆明市五华区人民中路 98 号", "0871-63615327"),
    FunderSpec(
        "昆明市五华区社区发展基金会", "五华社区基金会", FunderKind.COMMUNITY_FOUNDATION, "530102",
        "由辖区企业和居民共同发起的地方性公募基金会，以“社区的钱办社区的事”为宗旨，"
        "设立社区微基金，资助居民自组织开展为老、助残、儿童关爱等公益项目。",
        "昆明市五华区华山西路 12 号五华区社会组织孵化中心三楼", "0871-65321809"),
    FunderSpec(
        "昆明市五华区华山街道办事处", "华山街道办", FunderKind.STREET_OFFICE, "530102001",
        "华山街道辖翠湖、武成路、文明街、光华等社区，设立社区服务专项资金，"
        "向备案的社区社会组织购买居家养老、青少年托管和邻里互助服务。",
        "昆明市五华区华山南路 47 号", "0871-63619704"),
]


@dataclass(frozen=True)
class UserSpec:
    email: str
    name: str
    phone: str
    is_admin: bool = False
    # (funder name, staff role) pairs.
    staff: tuple[tuple[str, StaffRole], ...] = ()
    # (organization name, member role) pairs.
    orgs: tuple[tuple[str, MemberRole], ...] = ()


PROVINCE_BUREAU = "云南省民政厅"
DISTRICT_BUREAU = "昆明市五华区民政局"
FOUNDATION = "昆明市五华区社区发展基金会"
APPLICANT_ORG = "昆明市五华区翠湖社区居家养老服务中心"

USERS: list[UserSpec] = [
    UserSpec("admin@gongyi.demo", "平台管理员", "13708712001", is_admin=True),
    UserSpec("officer@gongyi.demo", "李建华", "13888123456",
             staff=((PROVINCE_BUREAU, StaffRole.PROGRAM_OFFICER),)),
    UserSpec("district.officer@gongyi.demo", "王秀英", "13987165432",
             staff=((DISTRICT_BUREAU, StaffRole.PROGRAM_OFFICER),)),
    UserSpec("finance@gongyi.demo", "张丽", "13759872210",
             staff=((DISTRICT_BUREAU, StaffRole.FINANCE_OFFICER),)),
    UserSpec("auditor@gongyi.demo", "刘国强", "13529086317",
             staff=((DISTRICT_BUREAU, StaffRole.AUDITOR),)),
    UserSpec("foundation@gongyi.demo", "赵晓燕", "15808716628",
             staff=((FOUNDATION, StaffRole.PROGRAM_OFFICER),)),
    UserSpec("applicant@gongyi.demo", "杨春梅", "13698745120",
             orgs=((APPLICANT_ORG, MemberRole.OWNER),)),
    UserSpec("member@gongyi.demo", "陈志明", "18787103365",
             orgs=((APPLICANT_ORG, MemberRole.MEMBER),)),
    # Heads of organizations with awarded projects (agreements, reports, payments).
    UserSpec("wuchenglu@gongyi.demo", "许文静", "13887659012",
             orgs=(("五华区武成路社区社会工作服务站", MemberRole.OWNER),)),
    UserSpec("huguo@gongyi.demo", "方建明", "13529871043",
             orgs=(("五华区护国社区助残服务中心", MemberRole.OWNER),)),
    UserSpec("daguan@gongyi.demo", "唐晓丽", "15108715539",
             orgs=(("大观社区困境儿童关爱服务队", MemberRole.OWNER),)),
    UserSpec("longxiang@gongyi.demo", "蒋国平", "13987604723",
             orgs=(("昆明市五华区龙翔社区养老服务协会", MemberRole.OWNER),)),
    UserSpec("reviewer@gongyi.demo", "黄文斌", "13908710457"),
    UserSpec("chair@gongyi.demo", "孙丽萍", "13577016289"),
]


@dataclass(frozen=True)
class OrgSpec:
    name: str
    community: str          # 12-digit community code
    status: LegalStatus
    category: Category
    targets: tuple[ServiceTarget, ...]
    founded_on: date
    mission: str
    address: str
    contact_name: str
    contact_phone: str
    legal_representative: str = ""
    registered_on: date | None = None
    party: PartyOrganization = PartyOrganization.NO
    social_workers: int = 0
    staff: int = 0
    volunteers: int = 0
    grade: EvaluationGrade = EvaluationGrade.NONE
    credit: CreditStatus = CreditStatus.NORMAL
    target_other: str = ""
    contact_email: str = ""
    # Registered only: "1" 社会团体 (协会/会), "2" 社会服务机构 (中心/社/站).
    org_type: str = "2"


REG, FILED, LED = LegalStatus.REGISTERED, LegalStatus.FILED, LegalStatus.COMMUNITY_LED
LIFE, CHARITY, MUTUAL, CULTURE, RURAL_TECH = (
    Category.LIFE_SERVICE, Category.CHARITY, Category.MUTUAL_AID, Category.CULTURE_SPORTS,
    Category.RURAL_TECH)
T = ServiceTarget
A = EvaluationGrade
PY, PJ, PN = PartyOrganization.YES, PartyOrganization.JOINT, PartyOrganization.NO

CUIHU = "530102001001"

ORGANIZATIONS: list[OrgSpec] = [
    # ---- 翠湖社区 (华山街道): a well-developed urban community with 12 organizations ----
    OrgSpec(
        APPLICANT_ORG, CUIHU, REG, LIFE, (T.ELDERLY, T.DISABLED), date(2016, 5, 12),
        "为翠湖片区高龄、独居和失能老人提供助餐、助洁、助浴和上门探访服务，"
        "并链接社区卫生服务站开展慢病管理，让老人在熟悉的街巷里安心养老。",
        "昆明市五华区华山街道翠湖社区青云街 168 号", "陈志明", "18787103365",
        legal_representative="杨春梅", registered_on=date(2016, 9, 20), party=PJ,
        social_workers=4, staff=9, volunteers=46, grade=A.A4,
        contact_email="cuihu.yanglao@gongyi.demo"),
    OrgSpec(
        "翠湖社区邻里互助会", CUIHU, LED, MUTUAL, (T.ELDERLY, T.POOR_FAMILIES), date(2019, 3, 5),
        "以楼栋为单位结对互助，为独居老人和困难家庭代购代办、陪同就医，"
        "每月组织一次邻里议事会，商量解决楼道堆物、加装电梯等身边事。",
        "昆明市五华区华山街道翠湖社区居委会二楼议事厅", "周玉兰", "13888562107",
        volunteers=38),
    OrgSpec(
        "华山街道夕阳红志愿服务队", CUIHU, FILED, CHARITY, (T.ELDERLY,), date(2014, 10, 8),
        "由退休教师、医生和机关干部组成，常年开展义诊、理发、法律咨询等便民服务，"
        "并定期探访辖区空巢老人。",
        "昆明市五华区华山街道翠湖社区东风西路 11 号", "马德明", "13708846612",
        volunteers=62),
    OrgSpec(
        "翠湖四点半课堂服务社", CUIHU, REG, LIFE, (T.CHILDREN,), date(2017, 8, 28),
        "为双职工家庭和困境家庭的小学生提供放学后看护、作业辅导和阅读活动，"
        "寒暑假开设非遗手工和自然观察营。",
        "昆明市五华区华山街道翠湖社区文化巷 27 号", "李晓芳", "15987102246",
        legal_representative="李晓芳", registered_on=date(2018, 1, 15), party=PN,
        social_workers=2, staff=5, volunteers=24, grade=A.A3),
    OrgSpec(
        "翠湖社区残疾人康复互助站", CUIHU, FILED, MUTUAL, (T.DISABLED, T.MENTAL_ILLNESS),
        date(2018, 4, 16),
        "组织残疾人及家属开展康复训练、同伴支持和辅具借用，"
        "协助办理残疾人两项补贴，帮助精神障碍康复者回归社区生活。",
        "昆明市五华区华山街道翠湖社区居家养老服务中心一楼", "段红梅", "13629461038",
        social_workers=1, volunteers=17),
    OrgSpec(
        "翠湖社区广场舞文体队", CUIHU, LED, CULTURE, (T.ELDERLY, T.WOMEN), date(2013, 6, 1),
        "每天傍晚在翠湖北门广场组织健身舞蹈，节假日参加街道文艺汇演，"
        "倡导文明跳舞、控制音量，与周边居民友好相处。",
        "昆明市五华区华山街道翠湖社区翠湖北路广场", "刘桂芬", "13508712693",
        volunteers=56),
    OrgSpec(
        "翠湖社区巾帼志愿服务队", CUIHU, FILED, CHARITY, (T.WOMEN, T.POOR_FAMILIES),
        date(2015, 3, 8),
        "开展家庭教育讲座、妇女权益宣传和困难妇女帮扶，"
        "组织“巾帼微心愿”活动为困难家庭认领生活所需。",
        "昆明市五华区华山街道翠湖社区居委会三楼妇女之家", "何丽娟", "13759021485",
        volunteers=31),
    OrgSpec(
        "五华区翠湖社区青少年成长服务中心", CUIHU, REG, CHARITY,
        (T.CHILDREN, T.AT_RISK_YOUTH, T.PRISONERS_CHILDREN), date(2015, 11, 2),
        "由专业社工为有不良行为青少年和服刑人员未成年子女提供个案辅导、"
        "学业支持和家庭关系修复，联合学校和派出所建立预防干预机制。",
        "昆明市五华区华山街道翠湖社区钱局街 52 号", "张海涛", "13987120554",
        legal_representative="张海涛", registered_on=date(2016, 3, 18), party=PY,
        social_workers=8, staff=12, volunteers=40, grade=A.A5),
    OrgSpec(
        "翠湖社区老年书画协会", CUIHU, REG, CULTURE, (T.ELDERLY,), date(2012, 9, 10),
        "组织社区老年书画爱好者每周交流创作，举办迎春书法义写和书画联展，"
        "为社区文化墙和老年学校提供作品与师资。",
        "昆明市五华区华山街道翠湖社区翠湖南路 4 号文化活动室", "吴文礼", "13888073316",
        legal_representative="吴文礼", registered_on=date(2013, 5, 6), party=PN,
        staff=1, volunteers=45, grade=A.A2, org_type="1"),
    OrgSpec(
        "翠湖社区平安巡防队", CUIHU, LED, MUTUAL, (T.OTHER,), date(2016, 7, 1),
        "由居民志愿者轮班开展夜间巡逻、消防隐患排查和电动车规范停放劝导，"
        "协助社区民警调解邻里纠纷。",
        "昆明市五华区华山街道翠湖社区警务室", "赵建国", "13577104826",
        volunteers=28, target_other="辖区全体居民"),
    OrgSpec(
        "翠湖社区心理健康关爱小组", CUIHU, FILED, CHARITY, (T.MENTAL_ILLNESS, T.POOR_FAMILIES),
        date(2021, 10, 10),
        "在精神卫生专业人员指导下，为严重精神障碍患者家庭提供喘息服务和照护培训，"
        "开展心理健康科普，减少社区歧视。",
        "昆明市五华区华山街道翠湖社区卫生服务站二楼", "杨慧", "15096612073",
        social_workers=2, volunteers=12),
    OrgSpec(
        "翠湖社区就业互助服务站", CUIHU, FILED, LIFE, (T.UNEMPLOYED, T.MIGRANT_WORKERS),
        date(2022, 4, 20),
        "收集辖区商户用工信息，为失业居民和进城务工人员提供岗位推荐、"
        "简历辅导和技能培训报名服务。",
        "昆明市五华区华山街道翠湖社区党群服务中心一楼", "孙明", "18608716630",
        staff=1, volunteers=9),
    # ---- other communities of 华山街道 ----
    OrgSpec(
        "武成路社区滇剧票友协会", "530102001002", FILED, CULTURE, (T.ELDERLY,), date(2014, 2, 14),
        "传承滇剧艺术，每周在社区活动室排练经典折子戏，走进养老院和学校义演。",
        "昆明市五华区华山街道武成路社区甬道街 36 号", "罗绍华", "13678714590",
        volunteers=26),
    OrgSpec(
        "五华区武成路社区社会工作服务站", "530102001002", REG, CHARITY,
        (T.COMMUNITY_CORRECTION, T.AT_RISK_YOUTH), date(2018, 6, 5),
        "配合司法所为社区矫正对象提供心理疏导、就业指导和家庭支持，"
        "为有不良行为青少年开展小组辅导，帮助他们顺利融入社会。",
        "昆明市五华区华山街道武成路社区长春路 81 号", "许文静", "13887659012",
        legal_representative="许文静", registered_on=date(2018, 11, 23), party=PJ,
        social_workers=6, staff=7, volunteers=15, grade=A.A3),
    OrgSpec(
        "文明街社区老街坊互助会", "530102001003", LED, MUTUAL, (T.ELDERLY,), date(2020, 9, 18),
        "老街坊结对关照独居老人，组织老城记忆讲述和街巷环境清扫，守护老街烟火气。",
        "昆明市五华区华山街道文明街社区居委会", "钱淑珍", "13330451128",
        volunteers=22),
    OrgSpec(
        "光华社区亲子阅读会", "530102001004", FILED, CULTURE, (T.CHILDREN, T.WOMEN),
        date(2023, 4, 23),
        "每周末在社区书屋开展亲子共读和绘本剧表演，培养儿童阅读习惯，增进家庭沟通。",
        "昆明市五华区华山街道光华社区书屋", "林静怡", "18213056672",
        volunteers=14, contact_email="guanghua.reading@gongyi.demo"),
    # ---- 护国街道 ----
    OrgSpec(
        "五华区护国社区助残服务中心", "530102002001", REG, LIFE, (T.DISABLED,), date(2017, 3, 3),
        "为辖区残疾人提供日间照料、职业康复和就业辅导，"
        "组织手工坊帮助智力和精神残疾人获得稳定收入。",
        "昆明市五华区护国街道护国社区护国路 115 号", "方建明", "13529871043",
        legal_representative="方建明", registered_on=date(2017, 8, 9), party=PN,
        social_workers=3, staff=6, volunteers=18, grade=A.A2),
    OrgSpec(
        "护国社区太极拳健身队", "530102002001", LED, CULTURE, (T.ELDERLY,), date(2012, 5, 20),
        "每天清晨在社区广场教授二十四式太极拳，定期参加区级全民健身展示。",
        "昆明市五华区护国街道护国社区文化广场", "冯志远", "13759604381",
        volunteers=35),
    OrgSpec(
        "昆明市五华区南屏社区家政服务协会", "530102002002", REG, LIFE,
        (T.UNEMPLOYED, T.WOMEN), date(2015, 7, 7),
        "组织社区失业妇女参加家政、育婴和养老护理培训，对接家庭服务需求，促进就业。",
        "昆明市五华区护国街道南屏社区南屏街 66 号", "郑玉梅", "13888906274",
        legal_representative="郑玉梅", registered_on=date(2015, 12, 1), party=PN,
        staff=2, volunteers=8, credit=CreditStatus.ABNORMAL, org_type="1"),
    # ---- 大观街道 ----
    OrgSpec(
        "大观社区困境儿童关爱服务队", "530102003001", FILED, CHARITY,
        (T.CHILDREN, T.PRISONERS_CHILDREN, T.POOR_FAMILIES), date(2019, 6, 1),
        "为困境儿童和服刑人员未成年子女建立成长档案，开展一对一陪伴、课业辅导和节日探访。",
        "昆明市五华区大观街道大观社区居委会", "唐晓丽", "15108715539",
        social_workers=1, volunteers=27),
    OrgSpec(
        "篆塘社区流动人口服务站", "530102003002", FILED, LIFE, (T.MIGRANT_WORKERS,),
        date(2020, 11, 6),
        "为进城务工人员及随迁子女提供居住登记指引、入学政策咨询和权益保护服务。",
        "昆明市五华区大观街道篆塘社区篆塘路 19 号", "白云飞", "13698701452",
        staff=1, volunteers=11),
    # ---- 龙翔街道 ----
    OrgSpec(
        "龙翔社区青少年成长驿站", "530102004001", FILED, CHARITY, (T.CHILDREN, T.AT_RISK_YOUTH),
        date(2021, 7, 15),
        "依托高校志愿者为辖区青少年提供课后学习空间、生涯规划和网络素养教育。",
        "昆明市五华区龙翔街道龙翔社区一二一大街 298 号", "高雅婷", "18687124410",
        social_workers=1, volunteers=33),
    OrgSpec(
        "昆明市五华区龙翔社区养老服务协会", "530102004001", REG, LIFE, (T.ELDERLY,),
        date(2014, 4, 11),
        "统筹辖区老年食堂和托老所资源，组织低龄老人服务高龄老人的“时间银行”互助养老。",
        "昆明市五华区龙翔街道龙翔社区龙翔路 8 号", "蒋国平", "13987604723",
        legal_representative="蒋国平", registered_on=date(2014, 10, 28), party=PJ,
        social_workers=2, staff=4, volunteers=52, grade=A.A3, org_type="1"),
    # ---- 莲华街道 ----
    OrgSpec(
        "莲华社区邻里节志愿服务队", "530102006001", LED, MUTUAL, (T.OTHER,), date(2018, 9, 1),
        "每年策划社区邻里节和百家宴，组织闲置物品交换和共享工具屋，拉近邻里距离。",
        "昆明市五华区莲华街道莲华社区党群服务中心", "邓丽华", "13888451976",
        volunteers=40, target_other="社区全体居民"),
    # ---- 红云街道 ----
    OrgSpec(
        "红云社区花灯艺术团", "530102007001", FILED, CULTURE, (T.ELDERLY, T.WOMEN),
        date(2016, 1, 12),
        "排演云南花灯传统剧目和新编小戏，宣传垃圾分类、反诈等内容，年均演出二十余场。",
        "昆明市五华区红云街道红云社区文化活动中心", "施美英", "13577189502",
        volunteers=29),
    OrgSpec(
        "五华区红云社区阳光帮教服务站", "530102007001", REG, CHARITY,
        (T.COMMUNITY_CORRECTION, T.PRISONERS_CHILDREN), date(2019, 2, 26),
        "为社区矫正对象和刑满释放人员提供帮教、技能培训和就业推荐，"
        "关爱其未成年子女的学习和生活。",
        "昆明市五华区红云街道红云社区北京路 1024 号", "崔永刚", "13808750831",
        legal_representative="崔永刚", registered_on=date(2019, 9, 12), party=PY,
        social_workers=5, staff=6, volunteers=10),
    # ---- 西翥街道 (rural) ----
    OrgSpec(
        "五华区沙朗村蔬菜种植技术协会", "530102010201", REG, RURAL_TECH,
        (T.POOR_FAMILIES, T.OTHER), date(2013, 3, 15),
        "推广高原夏秋蔬菜绿色种植和水肥一体化技术，统一采购农资、对接城区农贸市场，"
        "带动脱贫户稳定增收。",
        "昆明市五华区西翥街道沙朗村委会村民活动室", "普文才", "13708804517",
        legal_representative="普文才", registered_on=date(2013, 9, 2), party=PN,
        staff=2, volunteers=16, grade=A.A2, target_other="蔬菜种植户", org_type="1"),
    OrgSpec(
        "沙朗村留守儿童之家", "530102010201", LED, CHARITY, (T.CHILDREN,), date(2017, 7, 10),
        "为父母外出务工的留守儿童提供课后看护、亲情视频通话和安全教育。",
        "昆明市五华区西翥街道沙朗村委会党群服务中心", "李桂英", "15924618803",
        volunteers=13),
    OrgSpec(
        "厂口村农机服务互助社", "530102010202", FILED, RURAL_TECH, (T.OTHER,), date(2020, 3, 20),
        "由农机手组成，为村内缺劳力的老人户和困难户提供代耕代收，统一开展农机安全培训。",
        "昆明市五华区西翥街道厂口村委会", "张有福", "13529033761",
        volunteers=12, target_other="缺劳力的种植户"),
    # ---- 盘龙区、官渡区 ----
    OrgSpec(
        "拓东社区老年大学学习会", "530103001001", FILED, CULTURE, (T.ELDERLY,), date(2015, 9, 9),
        "开设智能手机使用、声乐、摄影等课程，由退休教师义务授课，帮助老人跨越数字鸿沟。",
        "昆明市盘龙区拓东街道拓东社区拓东路 73 号", "袁静波", "13888216540",
        volunteers=19),
    OrgSpec(
        "关上社区外来务工人员互助会", "530111001001", FILED, MUTUAL,
        (T.MIGRANT_WORKERS, T.UNEMPLOYED), date(2016, 5, 1),
        "帮助新到昆明的务工人员找住处、找工作，组织法律讲座协助讨要欠薪。",
        "昆明市官渡区关上街道关上社区中路 14 号", "熊国庆", "13769183025",
        volunteers=21),
    OrgSpec(
        "昆明市官渡区双凤社区居家养老服务中心", "530111001002", REG, LIFE,
        (T.ELDERLY, T.DISABLED), date(2018, 8, 8),
        "运营社区老年助餐点和日间照料室，为失能半失能老人提供上门护理和适老化改造评估。",
        "昆明市官渡区关上街道双凤社区双凤东路 23 号", "宋雨晴", "13629481175",
        legal_representative="宋雨晴", registered_on=date(2019, 1, 10), party=PJ,
        social_workers=3, staff=11, volunteers=34, grade=A.A4),
    # ---- 大理市 ----
    OrgSpec(
        "洱河社区白族调文艺队", "532901001001", LED, CULTURE, (T.ELDERLY, T.WOMEN),
        date(2014, 3, 3),
        "传唱白族调和霸王鞭，在三月街和节庆期间开展民族文化展演。",
        "大理市下关街道洱河社区文化室", "杨金花", "13578281046",
        volunteers=24),
    OrgSpec(
        "南门社区非遗扎染传习社", "532901101001", FILED, CULTURE, (T.WOMEN, T.UNEMPLOYED),
        date(2021, 5, 18),
        "由扎染传承人带领社区妇女学习传统扎染技艺，开发文创产品，增加家庭收入。",
        "大理市大理镇南门社区复兴路 210 号", "段秀兰", "15187279306",
        volunteers=15),
    OrgSpec(
        "才村洱海保护志愿服务队", "532901101201", LED, CHARITY, (T.OTHER,), date(2017, 4, 22),
        "组织村民开展洱海岸线巡护、垃圾清理和生态环保宣传，劝导游客文明旅游。",
        "大理市大理镇才村村委会", "赵永福", "13887297410",
        volunteers=48, target_other="村民和游客"),
    OrgSpec(
        "大理市周城白族扎染专业技术协会", "532901104201", REG, RURAL_TECH,
        (T.WOMEN, T.UNEMPLOYED), date(2012, 10, 16),
        "推广板蓝根植物染料种植和扎染工艺标准，开展技术培训和产品质量认证，"
        "带动周城妇女居家就业。",
        "大理市喜洲镇周城村委会扎染街 2 号", "张仕绅", "13908722865",
        legal_representative="张仕绅", registered_on=date(2013, 4, 25), party=PJ,
        staff=3, volunteers=20, grade=A.A3, org_type="1"),
    OrgSpec(
        "周城村老年协会", "532901104201", LED, MUTUAL, (T.ELDERLY,), date(2012, 12, 1),
        "依托村老年活动中心组织老人互助照护、莲池会活动和重阳敬老宴。",
        "大理市喜洲镇周城村委会老年活动中心", "段国才", "13759362157",
        volunteers=30),
    OrgSpec(
        "喜洲村稻田生态种养技术服务队", "532901104202", FILED, RURAL_TECH,
        (T.POOR_FAMILIES, T.OTHER), date(2022, 3, 12),
        "推广稻鱼共生、绿色防控等生态种养技术，减少化肥农药流入洱海，帮助农户提高收益。",
        "大理市喜洲镇喜洲村委会", "尹德华", "18088256914",
        volunteers=10, target_other="稻田种养户"),
    OrgSpec(
        "双廊村渔民互助会", "532901110201", FILED, MUTUAL, (T.POOR_FAMILIES, T.OTHER),
        date(2018, 1, 6),
        "洱海退捕后组织原渔民互助转产，开展民宿服务和导游技能培训，救助困难渔民家庭。",
        "大理市双廊镇双廊村委会", "赵文清", "13988591602",
        volunteers=17, target_other="退捕渔民"),
    # ---- 蒙自市 ----
    OrgSpec(
        "蒙自市天马社区应急救护志愿服务队", "532503001001", FILED, CHARITY, (T.OTHER,),
        date(2024, 5, 12),
        "在红十字会指导下开展心肺复苏和急救知识培训，参与社区防汛和大型活动保障。",
        "蒙自市文澜街道天马社区天马路 45 号", "普丽萍", "15287304419",
        volunteers=23, target_other="社区居民"),
    OrgSpec(
        "蒙自市碧色寨村石榴种植技术协会", "532503102201", REG, RURAL_TECH,
        (T.POOR_FAMILIES, T.OTHER), date(2019, 11, 20),
        "推广软籽石榴标准化种植、病虫害绿色防控和冷链销售，组织会员统一品牌对接电商。",
        "蒙自市草坝镇碧色寨村委会", "李正荣", "13577361894",
        legal_representative="李正荣", registered_on=date(2020, 6, 18), party=PN,
        staff=2, volunteers=9, target_other="石榴种植户", org_type="1"),
    OrgSpec(
        "龙龛村乡村振兴青年合作服务队", "532901101202", FILED, RURAL_TECH,
        (T.UNEMPLOYED, T.OTHER), date(2025, 3, 16),
        "由返乡青年组成，开展电商直播带货培训和农产品品牌设计，帮助村民把生态农产品卖出去。",
        "大理市大理镇龙龛村委会", "杨帆", "18213497701",
        volunteers=8, target_other="返乡创业青年"),
]
