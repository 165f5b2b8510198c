// Builds small X12 files for the tests: segments written with '*' and ':' are
// translated to the delimiters asked for, and the envelopes get correct
// counts and control numbers unless a test breaks them on purpose.
#ifndef RCL_TESTS_X12_X12_BUILDER_H_
#define RCL_TESTS_X12_X12_BUILDER_H_

#include <string>
#include <vector>

namespace rcl::x12::testing {

// A balanced one-claim 835 body (between ST and SE): pays CL1 $100.00 of
// $150.00 with CO-45 30.00 and PR-2 20.00 at line level.
inline std::vector<std::string> BalancedBody() {
  return {
      "BPR*I*100*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20240105",
      "TRN*1*EFT0001*1512345678",
      "DTM*405*20240104",
      "N1*PR*ACME HEALTH PLAN*XV*87726",
      "N1*PE*RCL CLINIC*XX*1234567893",
      "LX*1",
      "CLP*CL1*1*150*100*20*12*PAYERCLM1*11*1",
      "NM1*QC*1*DOE*JANE****MI*MEMBERSECRET9",
      "SVC*HC:99213:25*150*100**1",
      "DTM*472*20240102",
      "CAS*CO*45*30",
      "CAS*PR*2*20",
      "REF*6R*L1",
      "AMT*B6*120",
  };
}

struct X12Builder {
  char element = '*';
  char component = ':';
  char repetition = '^';
  char terminator = '~';
  std::string line_break = "\n";
  std::string isa12 = "00501";
  std::string version = "005010X221A1";
  std::string isa13 = "000000101";
  std::string gs06 = "7";
  std::string st02 = "0001";
  std::string se02;   // defaults to st02
  std::string ge02;   // defaults to gs06
  std::string iea02;  // defaults to isa13
  int se01_delta = 0;
  std::vector<std::string> body = BalancedBody();

  std::string Translate(const std::string& segment) const {
    std::string out;
    for (char c : segment) {
      out.push_back(c == '*' ? element : c == ':' ? component : c);
    }
    return out;
  }
  std::string Seg(const std::string& segment) const {
    return Translate(segment) + terminator + line_break;
  }
  std::string Isa() const {
    std::string isa =
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
        "*240105*1200*";
    isa += repetition;
    isa += "*" + isa12 + "*" + isa13 + "*0*P*";
    std::string out;
    for (char c : isa) out.push_back(c == '*' ? element : c);
    return out + component + terminator + line_break;
  }
  // ST ... SE only.
  std::string Transaction() const {
    std::string out = Seg("ST*835*" + st02 + (version.rfind("005", 0) == 0 ? "*" + version : ""));
    for (const std::string& s : body) out += Seg(s);
    out += Seg("SE*" + std::to_string(body.size() + 2 + se01_delta) + "*" +
               (se02.empty() ? st02 : se02));
    return out;
  }
  std::string Str() const {
    return Isa() + Seg("GS*HP*SENDER*RECEIVER*20240105*1200*" + gs06 + "*X*" + version) +
           Transaction() + Seg("GE*1*" + (ge02.empty() ? gs06 : ge02)) +
           Seg("IEA*1*" + (iea02.empty() ? isa13 : iea02));
  }
};

}  // namespace rcl::x12::testing

#endif  // RCL_TESTS_X12_X12_BUILDER_H_
