export const CORE_BANKING_NS = 'urn:sagaway:core-banking:v1';

const OPERATIONS: Record<string, { request: string[]; response: string[] }> = {
  HoldFunds: { request: ['AccountIban', 'AmountMinor', 'Currency'], response: ['HoldId', 'Status'] },
  ReleaseHold: { request: ['Reference'], response: ['Status'] },
  PostTransfer: { request: ['HoldReference', 'Line*'], response: ['PostingId', 'Status'] },
  CreditReturn: { request: ['TransferReference', 'Line*'], response: ['PostingId', 'Status'] },
};

const element = (name: string) =>
  name.endsWith('*')
    ? `<xsd:element name="${name.slice(0, -1)}" type="cb:Line" maxOccurs="unbounded"/>`
    : `<xsd:element name="${name}" type="xsd:string"/>`;

/** The service's WSDL 1.1 (document/literal over SOAP 1.1), as a legacy system publishes it at `?wsdl`. */
export function coreBankingWsdl(): string {
  const ops = Object.entries(OPERATIONS);
  const types = ops
    .flatMap(([op, { request, response }]) => [
      `<xsd:element name="${op}"><xsd:complexType><xsd:sequence>${request.map(element).join('')}</xsd:sequence></xsd:complexType></xsd:element>`,
      `<xsd:element name="${op}Response"><xsd:complexType><xsd:sequence>${response.map(element).join('')}</xsd:sequence></xsd:complexType></xsd:element>`,
    ])
    .join('\n      ');
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions name="CoreBanking" targetNamespace="${CORE_BANKING_NS}" xmlns="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:cb="${CORE_BANKING_NS}">
  <types>
    <xsd:schema targetNamespace="${CORE_BANKING_NS}" elementFormDefault="qualified">
      <xsd:complexType name="Line"><xsd:sequence><xsd:element name="Account" type="xsd:string"/><xsd:element name="AmountMinor" type="xsd:long"/><xsd:element name="Currency" type="xsd:string"/></xsd:sequence></xsd:complexType>
      ${types}
    </xsd:schema>
  </types>
  ${ops.map(([op]) => `<message name="${op}In"><part name="body" element="cb:${op}"/></message><message name="${op}Out"><part name="body" element="cb:${op}Response"/></message>`).join('\n  ')}
  <portType name="CoreBankingPort">
    ${ops.map(([op]) => `<operation name="${op}"><input message="cb:${op}In"/><output message="cb:${op}Out"/></operation>`).join('\n    ')}
  </portType>
  <binding name="CoreBankingBinding" type="cb:CoreBankingPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    ${ops.map(([op]) => `<operation name="${op}"><soap:operation soapAction="${CORE_BANKING_NS}#${op}"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>`).join('\n    ')}
  </binding>
  <service name="CoreBanking">
    <port name="CoreBankingPort" binding="cb:CoreBankingBinding"><soap:address location="/corebanking/soap"/></port>
  </service>
</definitions>
`;
}
